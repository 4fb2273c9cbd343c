import { Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { expect, test } from "./fixtures";
import { loginAsAdmin, waitForHydration } from "./helpers";

/** The portal page by page, as a new operator meets it: every page full of data and
 * empty, at a desktop and a phone width. Each page must fit its width (no sideways
 * scrolling), show no English words of the code, and get a screenshot that a person
 * looks at (PONTE_E2E_SCREENSHOTS: a folder; no screenshots without it). */

const apiKey = process.env.PONTE_E2E_API_KEY ?? "";
const shots = process.env.PONTE_E2E_SCREENSHOTS ?? "";
const secret = "whsec_tour_secret_123";

/** Codes and states as the code spells them: none may reach a pt-BR page's text. */
const ENGLISH =
  /\b(received|stored|classify|inbound|identity|deal|conversation|linked|forward(ed)?|failed|pending|processing|skipped|created|resolved|ensured|deactivate_v2|activate_v2|set_mode|open|won|lost|paused|running|done|dead|true|false|null|undefined|empty_phone|duplicate_phone|number_taken|Failed to deserialize)\b/;

async function visibleText(page: Page): Promise<string> {
  // Raw payloads and codes (<pre>, <code>) are data, not the portal's words.
  // Text node by text node, joined with spaces (so table cells never run together).
  return page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest("pre, code, script, style, .hidden")) continue;
      if (el.getClientRects().length === 0) continue;
      out.push(n.textContent ?? "");
    }
    return out.join(" ");
  });
}

async function check(page: Page, name: string) {
  await waitForHydration(page);
  await page.waitForLoadState("networkidle");
  for (const [label, width] of [["desktop", 1280], ["phone", 390]] as const) {
    await page.setViewportSize({ width, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} (${label}) scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
    if (shots) {
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: `${shots}/${name}-${label}.png`, fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const text = await visibleText(page);
  const english = [...text.matchAll(new RegExp(ENGLISH.source, "g"))].map(
    (m) => `"${m[0]}" in …${text.slice(Math.max(0, m.index! - 40), m.index! + 40)}…`,
  );
  expect(english, `${name}: English words of the code on the page`).toEqual([]);
}

function signed(slug: string, body: string, delivery: string) {
  const ts = Math.floor(Date.now() / 1000).toString();
  return {
    headers: {
      "content-type": "application/json",
      "x-chatwoot-delivery": delivery,
      "x-chatwoot-timestamp": ts,
      "x-chatwoot-signature": "sha256=" + createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex"),
    },
    data: body,
  };
}

function message(id: number, waId: string) {
  return JSON.stringify({
    event: "message_created",
    id,
    content: "Oi, tem mesa para hoje?",
    message_type: "incoming",
    private: false,
    account: { id: 9 },
    inbox: { id: 21 },
    sender: { id: 700 + id, name: `Cliente ${id}`, phone_number: `+${waId}` },
    conversation: {
      id: 5000 + id,
      inbox_id: 21,
      channel: "Channel::Whatsapp",
      contact_inbox: { source_id: waId, contact_id: 700 + id },
    },
  });
}

test("every page, full and empty, fits a desktop and a phone and speaks Portuguese", async ({ page, request }) => {
  test.setTimeout(180_000);
  expect(apiKey, "PONTE_E2E_API_KEY must be set by the test command").not.toBe("");
  const auth = { Authorization: `Bearer ${apiKey}` };
  const stamp = Date.now();
  const full = `tour-${stamp}`;
  const empty = `vazia-${stamp}`;
  for (const [slug, name] of [[full, "Churrascaria do Tour"], [empty, "Loja Vazia"]]) {
    const res = await request.post("/api/v1/admin/orgs", { headers: auth, data: { slug, name } });
    expect(res.status()).toBe(201);
  }
  // The full org: Chatwoot, an automation nobody answers (a failed event), contacts with a
  // clash, a finished backfill, a token.
  let res = await request.put(`/api/v1/admin/orgs/${full}/chatwoot`, {
    headers: auth,
    data: { webhook_secret: secret, account_id: 9, inboxes: { "21": "whatsapp" } },
  });
  expect(res.status()).toBe(200);
  res = await request.put(`/api/v1/admin/orgs/${full}/automation`, {
    headers: auth,
    data: { mode: "v2", v2_url: "http://127.0.0.1:9/n8n", timeout_ms: 300 },
  });
  expect(res.status()).toBe(200);
  const csv = ["nome;telefone", "Ana;(11) 97000-1000", "Bruno;11 97000-1001", "Bruno de novo;+55 11 97000-1001", "Sem número;"];
  res = await request.post(`/api/v1/admin/orgs/${full}/contacts/import`, {
    headers: { ...auth, "Content-Type": "text/csv" },
    data: csv.join("\n"),
  });
  expect(res.status(), await res.text()).toBe(200);
  res = await request.post(`/api/v1/admin/orgs/${full}/backfill`, { headers: auth, data: { dry_run: false, batch_size: 100 } });
  expect(res.status(), await res.text()).toBeLessThan(300);
  const runId = (await res.json()).id;
  await expect
    .poll(async () => {
      const r = await request.get(`/api/v1/admin/orgs/${full}/backfill/${runId}`, { headers: auth });
      return (await r.json()).status;
    }, { timeout: 20_000 })
    .toBe("done");
  res = await request.post(`/webhooks/chatwoot/${full}`, signed(full, message(1, "5511970001000"), "tour-1"));
  expect(res.status()).toBe(200);
  const eventId = (await res.json()).event_id;
  res = await request.post(`/api/v1/admin/orgs/${full}/tokens`, { headers: auth, data: { name: "n8n do tour" } });
  expect(res.status(), await res.text()).toBeLessThan(300);
  // The checklist: a state move, one check passed, one failed, one item marked by hand.
  res = await request.put(`/api/v1/admin/orgs/${full}/onboarding/state`, { headers: auth, data: { state: "pre_activation" } });
  expect(res.status(), await res.text()).toBe(200);
  for (const item of ["board_stages", "chatwoot_account"]) {
    res = await request.post(`/api/v1/admin/orgs/${full}/onboarding/items/${item}/check`, { headers: auth });
    expect(res.status(), await res.text()).toBe(200);
  }
  res = await request.put(`/api/v1/admin/orgs/${full}/onboarding/items/n8n_credentials`, {
    headers: auth,
    data: { status: "not_applicable", note: "cliente usa o n8n compartilhado" },
  });
  expect(res.status(), await res.text()).toBe(200);

  // An evidence file (a log) on a T-2 item.
  res = await request.post(`/api/v1/admin/orgs/${full}/evidence`, {
    headers: auth,
    multipart: {
      item: "chatwoot_account",
      file: { name: "verificacao.log", mimeType: "text/plain", buffer: Buffer.from("10:00 conta verificada\n") },
    },
  });
  expect(res.status(), await res.text()).toBe(201);

  await loginAsAdmin(page);
  // The event fails its hand-off (the background worker tries first).
  await expect
    .poll(async () => {
      const r = await request.get(`/api/v1/admin/orgs/${full}/events/${eventId}`, { headers: auth });
      return (await r.json()).status;
    }, { timeout: 20_000 })
    .toBe("failed");
  const contacts = await (await request.get(`/api/v1/admin/orgs/${full}/contacts`, { headers: auth })).json();
  const contactId = contacts.items[0].id;

  const pages: [string, string][] = [
    ["orgs", "/orgs"],
    ["org-new", "/orgs/new"],
    ["backfill-overview", "/backfill"],
    ["template", "/settings/template"],
    ["rollout", "/rollout"],
    ["not-found", "/nada/aqui"],
  ];
  for (const [slug, tag] of [[full, "full"], [empty, "empty"]]) {
    pages.push(
      [`org-${tag}`, `/orgs/${slug}`],
      [`onboarding-${tag}`, `/orgs/${slug}/onboarding`],
      [`wizard-${tag}`, `/orgs/${slug}/wizard`],
      [`review-${tag}`, `/orgs/${slug}/review`],
      [`evidence-${tag}`, `/orgs/${slug}/evidence`],
      [`events-${tag}`, `/orgs/${slug}/events`],
      [`automation-${tag}`, `/orgs/${slug}/automation`],
      [`contacts-${tag}`, `/orgs/${slug}/contacts`],
      [`backfill-${tag}`, `/orgs/${slug}/backfill`],
      [`reconciliation-${tag}`, `/orgs/${slug}/reconciliation`],
    );
  }
  pages.push(["event", `/orgs/${full}/events/${eventId}`], ["contact", `/orgs/${full}/contacts/${contactId}`]);
  for (const [name, path] of pages) {
    await page.goto(path);
    await check(page, name);
  }
  // The org navigation marks where you are.
  await page.goto(`/orgs/${full}/events`);
  await waitForHydration(page);
  await expect(page.locator("#org-events-link")).toHaveAttribute("aria-current", "page");
  await expect(page.locator("#org-name")).toHaveText("Churrascaria do Tour");
  // Times say their zone.
  await expect(page.locator("#events time").first()).toContainText("UTC−3");
  // A trailing slash leads to the page instead of an error.
  await page.goto(`/orgs/${full}/events/`);
  await expect(page).toHaveURL(new RegExp(`/orgs/${full}/events$`));
});
