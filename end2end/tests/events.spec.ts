import { expect, test } from "./fixtures";
import { createHmac } from "node:crypto";
import { loginAsAdmin, waitForHydration } from "./helpers";

const apiKey = process.env.PONTE_E2E_API_KEY ?? "";
const secret = "whsec_e2e_secret_123";

/** A customer's WhatsApp message as Chatwoot sends it (the fields Ponte reads). */
function message(id: number, waId: string) {
  return {
    event: "message_created",
    id,
    content: "Oi, quero reservar uma mesa",
    message_type: "incoming",
    private: false,
    account: { id: 7 },
    inbox: { id: 12 },
    sender: { id: 501, name: "Maria Aparecida Souza", phone_number: `+${waId}` },
    conversation: {
      id: 3311 + id,
      inbox_id: 12,
      channel: "Channel::Whatsapp",
      contact_inbox: { source_id: waId, contact_id: 501 },
    },
  };
}

test("an operator sees a failed event, its steps and error, and reprocesses it after fixing the automation", async ({
  page,
  request,
}) => {
  expect(apiKey, "PONTE_E2E_API_KEY must be set by the test command").not.toBe("");
  const auth = { Authorization: `Bearer ${apiKey}` };
  const slug = `eventos-${Date.now()}`;
  let res = await request.post("/api/v1/admin/orgs", { headers: auth, data: { slug, name: "Loja dos Eventos" } });
  expect(res.status()).toBe(201);
  res = await request.put(`/api/v1/admin/orgs/${slug}/chatwoot`, {
    headers: auth,
    data: { webhook_secret: secret, account_id: 7, inboxes: { "12": "whatsapp" } },
  });
  expect(res.status()).toBe(200);
  // The automation points at a port nobody listens on: the hand-off fails.
  res = await request.put(`/api/v1/admin/orgs/${slug}/automation`, {
    headers: auth,
    data: { mode: "v2", v2_url: "http://127.0.0.1:9/n8n", timeout_ms: 500 },
  });
  expect(res.status()).toBe(200);

  const body = JSON.stringify(message(91001, "5511987654321"));
  const ts = Math.floor(Date.now() / 1000).toString();
  const signature = "sha256=" + createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
  res = await request.post(`/webhooks/chatwoot/${slug}`, {
    headers: {
      "content-type": "application/json",
      "x-chatwoot-delivery": "e2e-1",
      "x-chatwoot-timestamp": ts,
      "x-chatwoot-signature": signature,
    },
    data: body,
  });
  expect(res.status()).toBe(200);
  const eventId = (await res.json()).event_id;
  // A bad signature is refused and stored nowhere.
  res = await request.post(`/webhooks/chatwoot/${slug}`, {
    headers: { "content-type": "application/json", "x-chatwoot-timestamp": ts, "x-chatwoot-signature": "sha256=00" },
    data: body,
  });
  expect(res.status()).toBe(401);

  await loginAsAdmin(page);
  await page.goto(`/orgs/${slug}`);
  await waitForHydration(page);
  await page.locator("#org-events-link").click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/events$`));
  await expect(page.locator("#auth-mode")).toContainText("assinatura do Chatwoot");
  // The background worker tries, fails and schedules a retry.
  await expect
    .poll(async () => {
      await page.reload();
      return page.locator(`tr[data-event="${eventId}"]`).getAttribute("data-status");
    }, { timeout: 20_000 })
    .toBe("failed");
  await expect(page.locator(`tr[data-event="${eventId}"]`)).toContainText("com falha");
  // Reloads are full page loads: clicks count only once the page has hydrated again.
  await waitForHydration(page);

  // Filter by status (a GET form: works with and without JavaScript).
  await page.locator("select[name=status]").selectOption("done");
  await page.getByRole("button", { name: "Filtrar" }).click();
  await expect(page.locator("#no-events .empty-title")).toHaveText("Nenhum evento com estes filtros.");
  await page.locator("select[name=status]").selectOption("failed");
  await page.getByRole("button", { name: "Filtrar" }).click();
  await expect(page.locator(`tr[data-event="${eventId}"]`)).toBeVisible();
  // Only the filters set are in the address (no stray "&=" or "&source=").
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/events\\?status=failed$`));
  await expect(page.locator("#reprocess-failed button[type=submit]")).toBeEnabled();

  await page.locator(`tr[data-event="${eventId}"] a`).click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/events/${eventId}$`));
  await waitForHydration(page);
  await expect(page.locator("#event-error")).toContainText("conexão recusada");
  await expect(page.locator('#steps tr[data-step="identity"]').first()).toHaveAttribute("data-outcome", "created");
  await expect(page.locator('#steps tr[data-step="forward"]').first()).toHaveAttribute("data-outcome", "failed");
  await expect(page.locator("#payload")).toContainText("Oi, quero reservar uma mesa");

  // Roll the automation back to paused, then reprocess from the portal.
  res = await request.put(`/api/v1/admin/orgs/${slug}/automation`, { headers: auth, data: { mode: "paused" } });
  expect(res.status()).toBe(200);
  await page.getByRole("button", { name: "Reprocessar este evento" }).click();
  await expect
    .poll(async () => {
      await page.reload();
      return page.locator("#event-status").getAttribute("data-status");
    }, { timeout: 20_000 })
    .toBe("done");
  await expect(page.locator('#steps tr[data-step="forward"]').last()).toHaveAttribute("data-outcome", "skipped");
  // A done event offers no reprocess button.
  await expect(page.getByRole("button", { name: "Reprocessar este evento" })).toHaveCount(0);
  // With no failures left, "Reprocessar falhas" says so and cannot be pressed.
  await page.goto(`/orgs/${slug}/events`);
  await waitForHydration(page);
  await expect(page.locator("#no-failures")).toBeVisible();
  await expect(page.locator("#reprocess-failed button[type=submit]")).toBeDisabled();
});
