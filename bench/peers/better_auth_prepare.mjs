// Set-up for bench/load.py's better-auth target (not timed): the peer's own configuration
// (auth.mjs in PEER_DIR), in-process through auth.api, on DB_PATH; the server (server.mjs) is
// then started on the same file. Usage: node better_auth_prepare.mjs PEER_DIR DB_PATH N
// As bench.mjs does it: an admin and an organization, N invitations as role "member" (one
// call each), N invitees signed up and signed in. Prints one JSON line per invitee:
// [session cookie, invitation id].
import path from "node:path";
import { pathToFileURL } from "node:url";

const [peerDir, dbPath, nText] = process.argv.slice(2);
const n = Number(nText);
const { makeAuth, migrate, outbox } = await import(pathToFileURL(path.join(peerDir, "auth.mjs")).href);
const { auth, db } = makeAuth({ dbPath, baseURL: "http://127.0.0.1:3000", n });
await migrate(auth);

const email = (i) => `invitee${i}@bench.example`;
const cookieOf = (headers) => {
  const set = headers.getSetCookie().find((c) => c.startsWith("better-auth.session_token="));
  if (!set) throw new Error("no session cookie from sign-up");
  return set.split(";")[0];
};
const signUp = async (address, name) => {
  const res = await auth.api.signUpEmail({
    body: { email: address, password: "pw-" + name + "-123456", name },
    returnHeaders: true,
  });
  return cookieOf(res.headers);
};

const adminCookie = await signUp("admin@bench.example", "Admin");
const asAdmin = { headers: new Headers({ cookie: adminCookie }) };
const org = await auth.api.createOrganization({ ...asAdmin, body: { name: "Bench Org", slug: "bench-org" } });
for (let i = 0; i < n; i++) {
  await auth.api.createInvitation({ ...asAdmin, body: { email: email(i), role: "member", organizationId: org.id } });
}
const idByEmail = new Map(outbox.map((m) => [m.to, m.invitationId]));
const out = [];
for (let i = 0; i < n; i++) {
  out.push(JSON.stringify([await signUp(email(i), "Invitee " + i), idByEmail.get(email(i))]));
}
db.close();
process.stdout.write(out.join("\n") + "\n");
