/** Shared by the language-level secret test and the end-to-end one (chat-secrets.test.ts). */
/**
 * Messages carrying a secret value, one per way secrets are typed, each taking a different branch of the
 * language layer: intents, a question (missing or unknown environment), a refusal, the fallback.
 */
export const CARRIERS: [branch: string, message: string, secret: string][] = [
  ["intents", "set STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc on staging", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"],
  [
    "intents",
    "update the sendgrid key on prod to SG.q1w2e3r4t5y6.u7i8o9p0a1s2d3f4g5h6",
    "SG.q1w2e3r4t5y6.u7i8o9p0a1s2d3f4g5h6",
  ],
  ["intents", "DB_PASSWORD = s3cr3tP@ssw0rd! on staging", "s3cr3tP@ssw0rd!"],
  ["intents", "set DATABASE_URL=postgres://admin:Sup3rS3cret@db.internal:5432/app on staging", "Sup3rS3cret"],
  ["missing env", "set STRIPE_SECRET_KEY=sk_live_51HxxExampleOnly0000aaaa", "sk_live_51HxxExampleOnly0000aaaa"],
  [
    "unknown env",
    "set SENDGRID_API_KEY=SG.aaaaBBBBccccDDDD.eeeeFFFFggggHHHHiiii on qa9",
    "SG.aaaaBBBBccccDDDD.eeeeFFFFggggHHHHiiii",
  ],
  [
    "missing name",
    "here is the new key for staging: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
  ],
  ["refusal", "drop the users table, the db password is hunter2hunter2", "hunter2hunter2"],
  ["refusal", "backfill timezone on staging at 0 users/min token: tok3nV4lue99", "tok3nV4lue99"],
  ["fallback", "blorp sk_test_51NfakeKEYvalue9988776655 zorp", "sk_test_51NfakeKEYvalue9988776655"],
  ["fallback", "my password hunter2hunter2", "hunter2hunter2"],
  ["fallback", "wat is https://deploy:Tr0ub4dor3@ci.example.com", "Tr0ub4dor3"],
  ["fallback", "AKIAIOSFODNN7EXAMPLE is my aws key, thoughts", "AKIAIOSFODNN7EXAMPLE"],
  [
    "fallback",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  ],
  ["missing env", "API_TOKEN=abcd1234efgh5678 whatever", "abcd1234efgh5678"],
];
