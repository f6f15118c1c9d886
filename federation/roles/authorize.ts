import { HttpError } from '../api/route.ts';
import type { Role } from './credential.ts';
import type { CredentialStore } from './credential-store.ts';
import { verifyIssuerAuthorization } from './issuer-request.ts';

/** Who is asking: a holder of a role credential, or an issuer proving its key. */
export type Principal = { kind: 'role'; role: Role; id: string; name: string } | { kind: 'issuer'; key: Uint8Array };

const REALM = 'strongbox registry';

/**
 * A 401 names the schemes a client can answer it with (RFC 7235 §3.1), and marks a bearer token
 * that was presented but is not valid (RFC 6750 §3.1), so standard HTTP clients know what to send.
 */
export class UnauthorizedError extends HttpError {
  constructor(message: string, options: { invalidToken?: boolean } = {}) {
    const bearer = `Bearer realm="${REALM}"${options.invalidToken ? ', error="invalid_token"' : ''}`;
    super(401, 'unauthorized', message, { 'WWW-Authenticate': `${bearer}, Issuer realm="${REALM}"` });
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/**
 * Authenticates registry requests. `Bearer <credential>` for auditors and regulators (checked
 * against this member's credential store); `Issuer <key>.<time>.<signature>` for an issuer reading
 * its own asset's register. Anything missing or invalid is 401; what a valid principal may see is
 * decided by the route (403).
 */
export class RegistryAuthenticator {
  constructor(
    private readonly credentials: CredentialStore,
    private readonly chainId: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  async principal(authorization: string | undefined, asset?: Uint8Array): Promise<Principal> {
    if (!authorization) throw new UnauthorizedError('registry views need an auditor or regulator credential (Authorization: Bearer sbx_…), or the issuer\'s signed request');
    // The scheme is case-insensitive, and one or more spaces part it from the credentials (RFC 7235 §2.1).
    const [, scheme = '', credentials = ''] = /^([^ ]+)(?: +(.*))?$/s.exec(authorization) ?? [];
    if (scheme.toLowerCase() === 'bearer') {
      const credential = await this.credentials.verify(credentials);
      if (!credential) throw new UnauthorizedError('the credential is not valid here (unknown to this member, revoked or malformed; a credential works only on the member whose operator granted it)', { invalidToken: true });
      return { kind: 'role', role: credential.role, id: credential.id, name: credential.name };
    }
    if (scheme.toLowerCase() === 'issuer') {
      if (!asset) throw new ForbiddenError('an issuer opens only its own asset\'s register; address histories need an auditor or regulator credential');
      const key = verifyIssuerAuthorization(credentials, this.chainId, asset, this.now());
      if (!key) throw new UnauthorizedError('the issuer request is not valid for this asset (bad signature, or its time is more than 5 minutes off)');
      return { kind: 'issuer', key };
    }
    throw new UnauthorizedError('unsupported Authorization scheme: use Bearer (credential) or Issuer (signed request)');
  }
}
