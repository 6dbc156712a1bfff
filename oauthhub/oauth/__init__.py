"""The OAuth protocol side: oauthlib validator, server, and the endpoint views."""
