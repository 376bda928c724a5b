// Package conformance is the one behaviour table that the four framework
// adapters (nethttp, ginjwt, fiberjwt, echojwt) must all pass, through each
// framework's real request path, with byte-identical answers. It is for this
// module's tests only.
//
// An Adapter builds an app for a Setup (the adapter options under test) with
// the same routes in every framework:
//
//	/me            authenticated; the handler echoes what it saw
//	/admin         Require(RequireScopes("admin"))
//	/staff         Require(RequireGroups("staff"))
//	/access        Require(RequireTokenUse("access"))
//	/health        as /me; skipped by the skip predicate when Setup.Skip
//	/health/admin  as /admin; skipped likewise
//
// The echo handler answers 200, Content-Type text/plain, with
// "sub=<sub> use=<token_use> scopes=<a,b> groups=<g>" or "anonymous", after
// checking that the adapter's Claims and core.FromContext agree.
package conformance
