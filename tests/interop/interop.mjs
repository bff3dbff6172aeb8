// The official Polymarket TypeScript client against testexchange
// --profile polymarket: every call clobvault relies on must succeed, and
// a forged HMAC secret, a wrong EIP-712 chain and a deleted key must be
// refused exactly as the real exchange refuses them.
// usage: TX_URL=http://127.0.0.1:PORT node interop.mjs
import { ClobClient, AssetType } from "@polymarket/clob-client";
import { BuilderConfig } from "@polymarket/builder-signing-sdk";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { polygon } from "viem/chains";

const url = process.env.TX_URL;
if (!url) {
	console.error("interop.mjs: set TX_URL");
	process.exit(2);
}

// The wallet of tests/vectors/clob_auth.json (a well-known test key).
const PK = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ADDR = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const L1_REFUSED = "Invalid L1 Request headers";
const L2_REFUSED = "Unauthorized/Invalid api key";

let passed = 0, failed = 0;

function check(name, ok, detail) {
	if (ok) {
		passed++;
		console.log(`ok   ${name}`);
	} else {
		failed++;
		console.log(`FAIL ${name}${detail !== undefined ?
		    ": " + JSON.stringify(detail) : ""}`);
	}
}

function isCreds(c) {
	return c && typeof c.key === "string" && /^[0-9a-f-]{36}$/.test(c.key) &&
	    typeof c.secret === "string" && c.secret.length === 44 &&
	    typeof c.passphrase === "string" && c.passphrase.length === 64;
}

function same(a, b) {
	return a.key === b.key && a.secret === b.secret &&
	    a.passphrase === b.passphrase;
}

function refused(r, status, error) {
	return r && r.status === status && r.error === error;
}

async function admin(path, body) {
	const res = await fetch(`${url}/__tx/${path}`, {
		method: body === undefined ? "GET" : "POST",
		headers: { "Content-Type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, body: await res.json() };
}

// What the exchange logged for the last request to path.
async function lastLog(path) {
	const log = (await admin("log")).body;
	for (let i = log.length - 1; i >= 0; i--)
		if (log[i].target.split("?")[0] === path)
			return log[i];
	return {};
}

async function verdict(path) {
	return (await lastLog(path)).verdict;
}

// The client turns an L1 error into empty credentials; the request log
// says what the exchange answered.
async function l1Refused(r, path, status, why) {
	const e = await lastLog(path);
	return r && r.key === undefined && e.status === status &&
	    e.verdict === why;
}

const account = privateKeyToAccount(PK);
const wallet = createWalletClient({
	account, chain: polygon, transport: http("http://127.0.0.1:9"),
});
// L1 client; the server's clock is used, as production setups do.
const l1 = new ClobClient(url, 137, wallet, undefined, 0, undefined,
    undefined, true);

async function main() {
	const t = await l1.getServerTime();
	check("getServerTime is a bare integer near now",
	    Number.isInteger(t) && Math.abs(t - Date.now() / 1000) < 5, t);

	const created = await l1.createApiKey(0);
	check("createApiKey(0)", isCreds(created), created);
	const derived = await l1.deriveApiKey(0);
	check("deriveApiKey(0) returns the created credentials",
	    isCreds(derived) && same(derived, created), derived);
	const again = await l1.createApiKey(0);
	check("createApiKey(0) again is refused: 400 Could not create api key",
	    await l1Refused(again, "/auth/api-key", 400, "exists"), again);
	const cod0 = await l1.createOrDeriveApiKey(0);
	check("createOrDeriveApiKey(0) derives the existing key",
	    isCreds(cod0) && same(cod0, created), cod0);
	const cod1 = await l1.createOrDeriveApiKey(1);
	check("createOrDeriveApiKey(1) creates a new key",
	    isCreds(cod1) && !same(cod1, created), cod1);
	const d404 = await l1.deriveApiKey(7);
	check("deriveApiKey(7) with no key: 404",
	    await l1Refused(d404, "/auth/derive-api-key", 404, "not-found"),
	    d404);

	const l2 = new ClobClient(url, 137, wallet, created, 0, undefined,
	    undefined, true);
	const keys = await l2.getApiKeys();
	check("getApiKeys lists both keys", keys && Array.isArray(keys.apiKeys) &&
	    keys.apiKeys.length === 2 && keys.apiKeys.includes(created.key) &&
	    keys.apiKeys.includes(cod1.key), keys);

	let co = await l2.getClosedOnlyMode();
	check("getClosedOnlyMode: false", co && co.closed_only === false, co);
	await admin("closed-only", { address: ADDR, closed_only: true });
	co = await l2.getClosedOnlyMode();
	check("getClosedOnlyMode after the exchange sets it: true",
	    co && co.closed_only === true, co);

	await admin("balance", { address: ADDR, asset_type: "COLLATERAL",
	    balance: "5000000", allowance: "100" });
	let bal = await l2.getBalanceAllowance({
	    asset_type: AssetType.COLLATERAL });
	check("getBalanceAllowance(COLLATERAL) before update: cached 0",
	    bal && bal.balance === "0" && bal.allowances &&
	    Object.keys(bal.allowances).length === 3 &&
	    Object.values(bal.allowances).every(v => v === "100"), bal);
	const upd = await l2.updateBalanceAllowance({
	    asset_type: AssetType.COLLATERAL });
	check("updateBalanceAllowance(COLLATERAL)",
	    upd && upd.balance === "5000000", upd);
	bal = await l2.getBalanceAllowance({ asset_type: AssetType.COLLATERAL });
	check("getBalanceAllowance(COLLATERAL) after update",
	    bal && bal.balance === "5000000", bal);
	const tok = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
	await admin("balance", { address: ADDR, asset_type: "CONDITIONAL",
	    token_id: tok, balance: "42" });
	await l2.updateBalanceAllowance({ asset_type: AssetType.CONDITIONAL,
	    token_id: tok });
	bal = await l2.getBalanceAllowance({
	    asset_type: AssetType.CONDITIONAL, token_id: tok });
	check("getBalanceAllowance(CONDITIONAL, token_id)",
	    bal && bal.balance === "42", bal);

	const n1 = (await admin("notifications", { address: ADDR, type: 1,
	    payload: { market: "m1" } })).body.id;
	const n2 = (await admin("notifications", { address: ADDR, type: 2,
	    payload: { market: "m2" } })).body.id;
	await admin("notifications", { address: ADDR, type: 3, payload: {} });
	let notes = await l2.getNotifications();
	check("getNotifications lists three", Array.isArray(notes) &&
	    notes.length === 3 && notes[0].owner === ADDR &&
	    notes[0].type === 1 && notes[0].payload.market === "m1", notes);
	let dr = await l2.dropNotifications({ ids: [String(n1), String(n2)] });
	check("dropNotifications(ids)", dr && dr.error === undefined, dr);
	notes = await l2.getNotifications();
	check("getNotifications after dropping two", Array.isArray(notes) &&
	    notes.length === 1 && notes[0].type === 3, notes);
	dr = await l2.dropNotifications();
	notes = await l2.getNotifications();
	check("dropNotifications() drops all",
	    Array.isArray(notes) && notes.length === 0, notes);

	const bk = await l2.createBuilderApiKey();
	// the client's BuilderApiKeyCreds: {key, secret, passphrase}
	check("createBuilderApiKey", bk && typeof bk.key === "string" &&
	    bk.secret && bk.passphrase, bk);
	const bks = await l2.getBuilderApiKeys();
	check("getBuilderApiKeys lists it", bks && Array.isArray(bks.apiKeys) &&
	    bks.apiKeys.length === 1 && bks.apiKeys[0].apiKey === bk.key,
	    bks);
	const lb = new ClobClient(url, 137, wallet, created, 0, undefined,
	    undefined, true, new BuilderConfig({ localBuilderCreds: {
	    key: bk.key, secret: bk.secret, passphrase: bk.passphrase } }));
	const rv = await lb.revokeBuilderApiKey();
	check("revokeBuilderApiKey (builder headers)",
	    rv && rv.error === undefined, rv);
	const bks2 = await l2.getBuilderApiKeys();
	check("getBuilderApiKeys after revoke is empty",
	    bks2 && Array.isArray(bks2.apiKeys) && bks2.apiKeys.length === 0,
	    bks2);

	// Refusals.
	const forged = new ClobClient(url, 137, wallet, { key: created.key,
	    secret: Buffer.alloc(32, 7).toString("base64"),
	    passphrase: created.passphrase }, 0, undefined, undefined, true);
	const fr = await forged.getApiKeys();
	check("forged HMAC secret refused: 401", refused(fr, 401, L2_REFUSED),
	    fr);
	check("forged HMAC secret logged as l2:bad-signature",
	    await verdict("/auth/api-keys") === "l2:bad-signature");

	const amoy = new ClobClient(url, 80002, wallet, undefined, 0, undefined,
	    undefined, true);
	const wc = await amoy.deriveApiKey(0);
	check("wrong EIP-712 chain refused: 401 l1:signer-mismatch",
	    await l1Refused(wc, "/auth/derive-api-key", 401,
	    "l1:signer-mismatch"), wc);
	const wc2 = await amoy.createApiKey(5);
	check("wrong chain on createApiKey refused: 401 l1:signer-mismatch",
	    await l1Refused(wc2, "/auth/api-key", 401, "l1:signer-mismatch"),
	    wc2);
	const raw = await fetch(`${url}/auth/derive-api-key`, { headers: {
	    POLY_ADDRESS: ADDR, POLY_SIGNATURE: "0x" + "11".repeat(65),
	    POLY_TIMESTAMP: String(Math.floor(Date.now() / 1000)),
	    POLY_NONCE: "0" } });
	check("bad L1 signature: exact 401 body", raw.status === 401 &&
	    await raw.text() === JSON.stringify({ error: L1_REFUSED }));

	const l2b = new ClobClient(url, 137, wallet, cod1, 0, undefined,
	    undefined, true);
	const del = await l2b.deleteApiKey();
	check("deleteApiKey", del && del.error === undefined, del);
	const gone = await l2b.getApiKeys();
	check("deleted key refused: 401", refused(gone, 401, L2_REFUSED), gone);
	check("deleted key logged as l2:unknown-key",
	    await verdict("/auth/api-keys") === "l2:unknown-key");
	const left = await l2.getApiKeys();
	check("getApiKeys after delete lists one", left &&
	    Array.isArray(left.apiKeys) && left.apiKeys.length === 1 &&
	    left.apiKeys[0] === created.key, left);
	const nd = await l1.deriveApiKey(1);
	check("deriveApiKey(1) after delete: 404",
	    await l1Refused(nd, "/auth/derive-api-key", 404, "not-found"), nd);

	// Own clock, not the server's: the client's default.
	const local = new ClobClient(url, 137, wallet, created, 0);
	const lk = await local.getApiKeys();
	check("L2 with the client's own clock", lk &&
	    Array.isArray(lk.apiKeys), lk);
}

try {
	await main();
} catch (e) {
	failed++;
	console.log(`FAIL exception: ${e && e.stack ? e.stack : e}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
