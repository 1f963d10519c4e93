// Open HTML pages in headless Chromium through the DevTools protocol (Node's own WebSocket, no
// npm package but axe-core) and report, per page and width, as JSON on stdout: horizontal
// overflow of the page, console errors, failed or network requests, SVG text outside its figure,
// and axe-core's violations.
// With SHOTS set, PNGs of each page at each width (tiles 2000 px tall) go into that folder.
// usage: node --experimental-websocket html-check.mjs CHROMIUM AXE_JS WIDTHS PAGE...
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";

const [chromium, axePath, widthList, ...pages] = process.argv.slice(2);
const widths = widthList.split(",").map(Number);
const axe = readFileSync(axePath, "utf8");
const profile = mkdtempSync(join(tmpdir(), "derive-chromium-"));
const browser = spawn(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-extensions", "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"],
  { stdio: "ignore" });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function endpoint() {
  const file = join(profile, "DevToolsActivePort");
  for (let i = 0; i < 300; i++) {
    if (existsSync(file)) {
      const [port, path] = readFileSync(file, "utf8").split("\n");
      if (path) return `ws://127.0.0.1:${port}${path}`;
    }
    await sleep(100);
  }
  throw new Error("chromium did not open its DevTools port within 30 s");
}

const ws = new WebSocket(await endpoint());
await new Promise((r, e) => { ws.onopen = r; ws.onerror = e; });
let next = 0;
const waiting = new Map();
const listeners = [];
ws.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && waiting.has(msg.id)) {
    const { ok, fail } = waiting.get(msg.id);
    waiting.delete(msg.id);
    msg.error ? fail(new Error(JSON.stringify(msg.error))) : ok(msg.result);
  } else for (const l of listeners) l(msg);
};
function send(method, params = {}, sessionId) {
  const id = ++next;
  ws.send(JSON.stringify({ id, method, params, sessionId }));
  return new Promise((ok, fail) => waiting.set(id, { ok, fail }));
}

const report = [];
for (const page of pages) {
  const url = "file://" + resolve(page);
  for (const width of widths) {
    const { targetId } = await send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
    const found = { page: basename(page), width, console: [], failed: [], requests: [] };
    let loaded;
    const load = new Promise((r) => { loaded = r; });
    listeners.push((msg) => {
      if (msg.sessionId !== sessionId) return;
      const p = msg.params;
      if (msg.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert"))
        found.console.push(p.args.map((a) => a.value ?? a.description).join(" "));
      if (msg.method === "Runtime.exceptionThrown") found.console.push(p.exceptionDetails.text);
      if (msg.method === "Log.entryAdded" && p.entry.level === "error") found.console.push(p.entry.text);
      if (msg.method === "Network.loadingFailed") found.failed.push(p.errorText);
      if (msg.method === "Network.requestWillBeSent" && !/^(file|data|about):/.test(p.request.url))
        found.requests.push(p.request.url);
      if (msg.method === "Page.loadEventFired") loaded();
    });
    for (const domain of ["Runtime", "Log", "Network", "Page"]) await send(`${domain}.enable`, {}, sessionId);
    await send("Emulation.setDeviceMetricsOverride",
      { width, height: 900, deviceScaleFactor: 1, mobile: width < 600 }, sessionId);
    await send("Page.navigate", { url }, sessionId);
    await load;
    const value = async (expression) => (await send("Runtime.evaluate",
      { expression, awaitPromise: true, returnByValue: true }, sessionId)).result.value;
    found.overflow = await value("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    found.math = await value("document.querySelectorAll('math').length");
    found.mathErrors = await value("document.querySelectorAll('merror').length");
    found.clipped = await value(`[...document.querySelectorAll("svg text")].filter((t) => {
      const box = t.getBBox(), view = t.ownerSVGElement.viewBox.baseVal;
      return box.x < 0 || box.y < 0 || box.x + box.width > view.width || box.y + box.height > view.height;
    }).map((t) => t.textContent)`);
    await send("Runtime.evaluate", { expression: axe }, sessionId);
    found.violations = JSON.parse(await value(`axe.run(document, { resultTypes: ["violations"] }).then(
      (r) => JSON.stringify(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }))))`));
    if (process.env.SHOTS) {
      const height = await value("document.documentElement.scrollHeight");
      await send("Emulation.setDeviceMetricsOverride",
        { width, height: Math.min(height, 16000), deviceScaleFactor: 1, mobile: width < 600 }, sessionId);
      for (let top = 0, tile = 1; top < Math.min(height, 16000); top += 2000, tile++) {
        const clip = { x: 0, y: top, width, height: Math.min(2000, height - top), scale: 1 };
        const shot = await send("Page.captureScreenshot", { format: "png", clip, captureBeyondViewport: true }, sessionId);
        writeFileSync(join(process.env.SHOTS, `${basename(page, ".html")}-${width}-${tile}.png`),
          Buffer.from(shot.data, "base64"));
      }
    }
    await send("Target.closeTarget", { targetId });
    listeners.length = 0;
    report.push(found);
  }
}
console.log(JSON.stringify(report, null, 1));
ws.close();
browser.kill();
await sleep(200);
rmSync(profile, { recursive: true, force: true });
