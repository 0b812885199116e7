// A real OpenID Connect provider for tests/sso: panva's oidc-provider with its development
// login and consent pages. Started by tests/sso/conftest.py; everything it needs comes from
// the environment: OIDC_PORT, OIDC_CLIENTS (JSON list of client metadata).
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;

// The login name is the subject. A name starting with "unverified" has an unverified address.
function account(id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${id}@example.com`,
        email_verified: !id.startsWith('unverified'),
        name: `Person ${id}`,
        preferred_username: id,
      };
    },
  };
}

const provider = new Provider(issuer, {
  clients: JSON.parse(process.env.OIDC_CLIENTS),
  pkce: { required: () => true },
  findAccount: (ctx, id) => account(id),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['gatehouse-test-cookie-key'] },
});
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
