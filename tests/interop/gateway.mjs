// A bot written against the official Polymarket TypeScript client,
// trading through clobvault's gateway: its host is the gateway, its API
// credentials are the client credentials vaultctl client add printed,
// and its signer is a stub that reports the account's address and signs
// nothing.  clobvault signs each order with the vault's wallet key and
// the requests with the account's real API key.
// usage: GW_URL=http://127.0.0.1:PORT CREDS=client.json node gateway.mjs
import { readFileSync } from "node:fs";
import { ClobClient, Side, OrderType } from "@polymarket/clob-client";

const url = process.env.GW_URL;
const creds = JSON.parse(readFileSync(process.env.CREDS, "utf8"));
const ADDR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

let passed = 0, failed = 0;
function check(name, ok, detail) {
	if (ok) {
		passed++;
		console.log(`ok   ts: ${name}`);
	} else {
		failed++;
		console.log(`FAIL ts: ${name}${detail !== undefined ?
		    ": " + JSON.stringify(detail) : ""}`);
	}
}

// The whole of the bot's "wallet": an address, and no key.
const stub = {
	getAddress: async () => ADDR,
	_signTypedData: async () => "0x" + "00".repeat(65),
};
const apiCreds = { key: creds.apiKey, secret: creds.secret,
    passphrase: creds.passphrase };
const client = new ClobClient(url, 137, stub, apiCreds);

try {
	const tick = await client.getTickSize("1234");
	check("tick size (unsigned, through the gateway)", tick === "0.01",
	    tick);

	const placed = await client.createAndPostOrder({ tokenID: "1234",
	    price: 0.5, size: 10, side: Side.BUY }, { tickSize: "0.01",
	    negRisk: false }, OrderType.GTC);
	check("order placed", placed && placed.success === true &&
	    typeof placed.orderID === "string", placed);
	const id = placed && placed.orderID;

	const open = await client.getOpenOrders();
	check("open orders list it", Array.isArray(open) &&
	    open.some((o) => o.id === id), open);

	const one = await client.getOrder(id);
	check("the order by id", one && one.id === id, one);

	const big = await client.createAndPostOrder({ tokenID: "1234",
	    price: 0.5, size: 1000, side: Side.BUY }, { tickSize: "0.01",
	    negRisk: false }, OrderType.GTC);
	check("an order over the notional rule is refused, the rule named",
	    big && big.status === 403 && /notional-cap/.test(big.error), big);

	const gone = await client.cancelOrder({ orderID: id });
	check("cancelled", gone && Array.isArray(gone.canceled) &&
	    gone.canceled.includes(id), gone);

	const forged = new ClobClient(url, 137, stub, { ...apiCreds,
	    secret: "A".repeat(43) + "=" });
	// (getOrder: getOpenOrders throws on an error answer)
	const r = await forged.getOrder(id);
	check("a wrong client secret is refused", r && r.status === 401 &&
	    r.error === "client credentials refused", r);
} catch (e) {
	check("no exception", false, String(e && e.stack || e));
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
