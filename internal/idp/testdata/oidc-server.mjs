// oidc-server.mjs runs oidc-provider (an OpenID Certified provider) on
// 127.0.0.1 for jwtgate's integration tests. The Go package internal/idp
// starts it; it is not meant for anything else.
//
// It listens on an ephemeral port first, then builds the issuer
// http://127.0.0.1:PORT from that port (no port race), and prints one line
// "READY <issuer>" on stdout when it answers. It exits when its stdin closes,
// so it never outlives the test process that started it.
//
// What it issues:
//   - JWT access tokens (RFC 9068, typ "at+jwt") for two resources, found by
//     resource indicator (RFC 8707):
//       https://api.jwtgate.test     signed RS256, scopes "read write"
//       https://es.api.jwtgate.test  signed ES256, scopes "read write"
//     The first is the default resource, so a request without "resource"
//     still gets a JWT whose aud is https://api.jwtgate.test.
//   - ID tokens (RS256, aud = client id) with email and a "groups" claim.
//   - Refresh tokens for the "public" client, rotated on every use; a rotated
//     refresh token used again gives invalid_grant and revokes the grant.
//   - client_credentials for the "machine" client.
//   - An authorization code + PKCE flow that completes with plain HTTP: the
//     interaction route /interaction/:uid approves at once, logging in the
//     account named by login_hint (default "alice") and granting what was
//     asked. A client with a cookie jar that follows redirects up to the
//     redirect_uri gets its code without any HTML.
//
// The signing keys are generated at start (RSA 2048 and P-256), so every run
// has new ones.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';


// Exit when the parent (the Go test binary) goes away, removing the run
// directory the harness made (JWTGATE_IDP_RUNDIR), as watchdog.cjs does.
function exit() {
  const dir = process.env.JWTGATE_IDP_RUNDIR;
  if (dir && path.basename(dir).startsWith('jwtgate-')) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // the harness removes it too
    }
  }
  process.exit(0);
}
process.stdin.resume();
process.stdin.on('end', exit);
process.stdin.on('error', exit);
process.on('SIGTERM', exit);
// Once the parent is gone, writing to stdout fails (EPIPE): exit the same way.
process.stdout.on('error', exit);
process.stderr.on('error', exit);

// Imported after the exit handlers are in place (loading takes a while).
const { default: Provider } = await import('oidc-provider');

const RESOURCE_RS = 'https://api.jwtgate.test';
const RESOURCE_ES = 'https://es.api.jwtgate.test';
const RESOURCE_SCOPES = 'read write';

const ACCESS_TTL = Number(process.env.ACCESS_TOKEN_TTL || 300);

function privateJWK(type, options, kid, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

const keys = [
  privateJWK('rsa', { modulusLength: 2048 }, 'rs256-1', 'RS256'),
  privateJWK('ec', { namedCurve: 'P-256' }, 'es256-1', 'ES256'),
];

const accounts = {
  alice: { email: 'alice@example.com', groups: ['admins'], tenant: 'acme' },
  bob: { email: 'bob@example.com', groups: [], tenant: 'other' },
};

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'public',
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/cb'],
    },
    {
      client_id: 'web',
      client_secret: 'web-secret-0123456789abcdef',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/cb'],
    },
    {
      client_id: 'machine',
      client_secret: 'machine-secret-0123456789abcdef',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys },
  scopes: ['openid', 'offline_access', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // Put the scope-requested claims into the ID token too (as many providers do).
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: account.email,
          email_verified: true,
          groups: account.groups,
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      async defaultResource(ctx, client, oneOf) {
        return oneOf || RESOURCE_RS;
      },
      async useGrantedResource() {
        return true;
      },
      async getResourceServerInfo(ctx, resourceIndicator) {
        const alg = { [RESOURCE_RS]: 'RS256', [RESOURCE_ES]: 'ES256' }[resourceIndicator];
        if (!alg) throw new Provider.errors.InvalidTarget();
        return {
          scope: RESOURCE_SCOPES,
          audience: resourceIndicator,
          accessTokenTTL: ACCESS_TTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  async extraTokenClaims(ctx, token) {
    // A custom claim for Claims.Decode, on user tokens only.
    const account = token.accountId && accounts[token.accountId];
    if (!account) return undefined;
    return { tenant: account.tenant, groups: account.groups };
  },
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  rotateRefreshToken(ctx) {
    return ctx.oidc.entities.Client.clientAuthMethod === 'none';
  },
  pkce: { required: () => true },
  ttl: {
    AccessToken: ACCESS_TTL,
    ClientCredentials: ACCESS_TTL,
    IdToken: ACCESS_TTL,
    RefreshToken: 24 * 60 * 60,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 24 * 60 * 60,
  },
  interactions: {
    url(ctx, interaction) {
      return `/interaction/${interaction.uid}`;
    },
  },
  renderError(ctx, out) {
    ctx.type = 'application/json';
    ctx.body = out;
  },
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  if (prompt.name === 'login') {
    const accountId = params.login_hint || 'alice';
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    if (d.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  res.statusCode = 400;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: 'unsupported_prompt', prompt: prompt.name }));
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: 'interaction_failed', message: String(err && err.message) }));
    });
    return;
  }
  callback(req, res);
});

process.stdout.write(`READY ${issuer}\n`);
