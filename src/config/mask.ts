/**
 * Masks credentials inside URLs wherever one is printed or logged: the password of the user-info part
 * (`postgres://app:pw@db`, `redis://:pw@cache`) and secret-looking query parameters
 * (`postgres://app@db/x?password=pw`, `?sslpassword=`, `?token=`, `?secret=`, `?key=` …). The user name,
 * host, port and path stay readable: an operator needs them to tell which service is meant.
 */

const SCHEME_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/i;
const SECRET_PARAM =
  /([?&;](?:password|passwd|pass|pwd|sslpassword|secret|client_secret|token|access_token|auth|api_?key|access_?key|key)=)[^&#;\s"'<>`]*?(?=[)\]},.:]*(?:[&#;\s"'<>`]|$))/gi;

/** One URL with its password and secret query parameters masked. */
export function maskUrl(url: string): string {
  const withoutUserinfo = url.replace(USERINFO, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    if (colon < 0) return `${scheme}${userinfo}@`;
    return `${scheme}${userinfo.slice(0, colon)}:****@`;
  });
  return withoutUserinfo.replace(SECRET_PARAM, "$1****");
}

/** Every URL inside free text (a log message, an error, a description) masked. */
export function maskUrls(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(SCHEME_URL, (u) => maskUrl(u));
}
