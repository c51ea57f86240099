/** Test data for masking: the URL forms spotwise may be given, each with the secret it carries. */
export const SECRET_URL_FORMS = [
  { url: "postgres://app:hunter2@db:5432/spotwise", secret: "hunter2", masked: "postgres://app:****@db:5432/spotwise" },
  { url: "redis://:s3cr3tpw@cache:6379/0", secret: "s3cr3tpw", masked: "redis://:****@cache:6379/0" },
  {
    url: "postgres://app@db/x?password=qu3ry-pw&sslmode=require",
    secret: "qu3ry-pw",
    masked: "postgres://app@db/x?password=****&sslmode=require",
  },
  { url: "rediss://default:tls-pw@cache:6380", secret: "tls-pw", masked: "rediss://default:****@cache:6380" },
  { url: "postgresql://u:p%40ss@db/x", secret: "p%40ss", masked: "postgresql://u:****@db/x" },
  {
    url: "postgres://db/x?sslmode=verify-full&sslpassword=keypw",
    secret: "keypw",
    masked: "postgres://db/x?sslmode=verify-full&sslpassword=****",
  },
] as const;
