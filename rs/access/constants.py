"""Fixed values of the access app (the tunable ones are settings, see configuration.py)."""

from __future__ import annotations

SIGNING_ALGORITHM = "RS256"
RSA_KEY_BITS = 2048  # Keycloak's default; RS256 verification of a 2048-bit signature costs ~30 µs

# Tolerated clock difference between machines when checking exp/iat (ours and external issuers').
CLOCK_SKEW_S = 30

# Keycloak's public client of CDSE, created by a migration so eodag and cdsetool work unchanged.
PUBLIC_CLIENT_ID = "cdse-public"

SUPPORTED_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
DEFAULT_SCOPE = "profile email"

# Two requests refreshing with the same token within this time are a racing client, not a thief: the second is
# refused without ending the session (later, a replay ends the whole session).
REFRESH_REUSE_GRACE_S = 10

# Form fields of the token endpoint are short; anything longer is an attack or a mistake.
MAX_PARAMETER_CHARS = 4096

# HTTP Basic: successful checks are remembered this long per process, so a PRIP client sending Basic on every
# request does not pay a password hash (~0.3 s of PBKDF2) each time.
BASIC_CACHE_S = 30
BASIC_CACHE_ENTRIES = 1024

# An unknown kid makes a process reload its key set from the database at most this often (forged kids are cheap).
UNKNOWN_KID_RELOAD_S = 1.0

# External issuers: JWKS kept this long, refetched on an unknown kid at most this often.
EXTERNAL_JWKS_TTL_S = 300
EXTERNAL_JWKS_MIN_REFRESH_S = 10
EXTERNAL_JWKS_MAX_BYTES = 1024 * 1024

# Django cache keys (shared by every web process).
CACHE_PREFIX = "access:"
KEYSET_VERSION_KEY = CACHE_PREFIX + "keyset-version"
ISSUERS_VERSION_KEY = CACHE_PREFIX + "issuers-version"
VISIBILITY_RULES_KEY = CACHE_PREFIX + "visibility-rules"
# Bumped by every change of what someone may see (a rule, a user's groups, activity or superuser flag, a group):
# memos of rights kept elsewhere (subscription matching, the Basic memo) are valid only under the version they saw.
RIGHTS_VERSION_KEY = CACHE_PREFIX + "rights-version"
