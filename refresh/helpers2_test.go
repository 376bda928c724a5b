package refresh

import "golang.org/x/oauth2"

type oauth2Config struct{ TokenURL, ClientID, ClientSecret string }

func (c oauth2Config) cfg() *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL}}
}
