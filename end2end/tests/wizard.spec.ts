import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { loginAsAdmin, waitForHydration } from "./helpers";

/** An operator activates a new client through the wizard, against the fake Chatwoot and
 * the real n8n the test command starts: creates the org, connects Chatwoot and maps its
 * inboxes, registers the webhook, installs and activates the v2 workflow, runs the smoke
 * tests, releases to the pilot, and finds the org on the rollout board with its progress.
 * Screenshots of each step, the checklist and the board go to PONTE_E2E_SCREENSHOTS. */

const chatwootUrl = process.env.PONTE_E2E_CHATWOOT_URL ?? "";
const n8nUrl = process.env.PONTE_TEST_N8N_URL ?? "";
const n8nKey = process.env.PONTE_TEST_N8N_API_KEY ?? "";
const shots = process.env.PONTE_E2E_SCREENSHOTS ?? "";
// The fake's account and its administrator's token (tests/api/common/fake_chatwoot.rs).
const ACCOUNT = "7";
const ADMIN_TOKEN = "cw-admin-token-7";
// A 1×1 PNG: the evidence the operator attaches.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

/** Posts `body` to the org's webhook as Chatwoot does: `sha256=HMAC(secret, "{ts}.{body}")`. */
async function sendAsChatwoot(page: Page, slug: string, body: object) {
  const listed = await page.request.get(`${chatwootUrl}/api/v1/accounts/${ACCOUNT}/webhooks`, {
    headers: { api_access_token: ADMIN_TOKEN },
  });
  expect(listed.ok()).toBeTruthy();
  const hooks: { url: string; secret: string }[] = (await listed.json()).payload.webhooks;
  const hook = hooks.find((h) => h.url.endsWith(`/webhooks/chatwoot/${slug}`));
  expect(hook, "the webhook the wizard registered").toBeTruthy();
  const raw = JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000).toString();
  const signature = "sha256=" + createHmac("sha256", hook!.secret).update(`${ts}.${raw}`).digest("hex");
  const res = await page.request.post(`/webhooks/chatwoot/${slug}`, {
    headers: {
      "content-type": "application/json",
      "x-chatwoot-timestamp": ts,
      "x-chatwoot-signature": signature,
      "x-chatwoot-delivery": `e2e-${ts}`,
    },
    data: raw,
  });
  expect(res.status(), await res.text()).toBe(200);
}

async function onStep(page: Page, step: string) {
  await expect(page.locator("#wizard-step")).toHaveAttribute("data-step", step, { timeout: 30_000 });
  await waitForHydration(page);
}

test("an operator takes a new client through the wizard to the pilot and sees it on the board", async ({ page }) => {
  test.setTimeout(240_000);
  expect(chatwootUrl, "PONTE_E2E_CHATWOOT_URL must be set by the test command").not.toBe("");
  expect(n8nUrl && n8nKey, "the test command's n8n").toBeTruthy();
  const slug = `assistente-${Date.now()}`;
  await loginAsAdmin(page);

  // Step 1: the org.
  await page.getByRole("link", { name: "Nova organização" }).click();
  await expect(page.locator('#wizard-steps li[data-step="create_org"]')).toHaveClass(/shown/);
  await page.locator("input[name=name]").fill("Churrascaria Assistente");
  await page.locator("input[name=slug]").fill(slug);
  await shot(page, "wizard-1-create");
  await page.getByRole("button", { name: "Criar organização" }).click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/wizard$`));

  // Step 2: Chatwoot. A step that is not done cannot be skipped from the stepper.
  await expect(page.locator("#org-status")).toHaveText("Rascunho");
  await onStep(page, "chatwoot");
  await expect(page.locator('#wizard-steps li[data-step="webhook"] a')).toHaveCount(0);
  // "Continue" with nothing configured fails and says what is missing.
  await page.locator("#wizard-continue").click();
  await expect(page.locator('#wizard-items li[data-item="chatwoot_account"]')).toHaveAttribute("data-status", "failed");
  await expect(page.locator('#wizard-items li[data-item="chatwoot_account"] .finding').first()).toContainText("token de API");
  await onStep(page, "chatwoot");
  await page.locator("input[name=base_url]").fill(chatwootUrl);
  await page.locator("input[name=account_id]").fill(ACCOUNT);
  await page.locator("input[name=api_token]").fill(ADMIN_TOKEN);
  await page.locator("#chatwoot-save").click();
  // Saved with its API settings: the inboxes load, each with Ponte's proposal.
  await expect(page.locator("#inbox-map")).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('select[name="inboxes[12]"]')).toHaveValue("whatsapp");
  await expect(page.locator('select[name="inboxes[13]"]')).toHaveValue("instagram");
  await expect(page.locator('select[name="inboxes[14]"]')).toHaveValue("");
  await page.locator('select[name="inboxes[14]"]').selectOption("whatsapp");
  await page.locator("#chatwoot-save").click();
  await expect(page.locator("#chatwoot-form .saved")).toBeVisible();
  await shot(page, "wizard-2-chatwoot");
  await page.locator("#wizard-continue").click();

  // Step 3: the webhook, registered in Chatwoot by the button that says so. The org's head
  // follows the state the step moved it to.
  await onStep(page, "webhook");
  await expect(page.locator("#org-status")).toHaveText("Pré-ativação");
  await expect(page.locator("#wizard-continue")).toContainText("registrar o webhook");
  await page.locator("#wizard-continue").click();

  // Step 4: n8n, the v2 workflow installed and activated.
  await onStep(page, "workflow");
  await page.locator("#n8n-form input[name=base_url]").fill(n8nUrl);
  await page.locator("#n8n-form input[name=api_key]").fill(n8nKey);
  await page.locator("#n8n-form button[type=submit]").click();
  await expect(page.locator("#wizard-install")).toBeVisible({ timeout: 30_000 });
  await page.locator("#wizard-install").click();
  await expect(page.locator("#wizard-activate")).toBeVisible({ timeout: 60_000 });
  await page.locator("#wizard-activate").click();
  await expect(page.locator("#wizard-install")).toHaveCount(0);
  await shot(page, "wizard-4-workflow");
  await waitForHydration(page);
  await page.locator("#wizard-continue").click();

  // Step 5: the smoke tests through the real pipeline.
  await onStep(page, "smoke");
  await page.locator("#wizard-smoke").click();
  for (const item of ["smoke_whatsapp", "smoke_instagram", "smoke_stage_move"]) {
    await expect(page.locator(`#wizard-items li[data-item="${item}"]`)).toHaveAttribute("data-status", "ok", { timeout: 90_000 });
  }
  // The results stay on screen; the step is done and leads on.
  await expect(page.locator("#wizard-step")).toHaveAttribute("data-done", "true");
  await shot(page, "wizard-5-smoke");

  // The live mode: Ponte waits for the test phone's own message, with a countdown.
  await page.locator("#live-whatsapp").fill("(11) 98765-4321");
  await page.locator("#live-wait").fill("3");
  await page.locator("#live-start").click();
  await expect(page.locator("#live-run")).toHaveAttribute("data-state", "waiting");
  const countdown = page.locator("#live-countdown");
  const first = await countdown.textContent();
  expect(first).toMatch(/^[23]:\d\d$/);
  await expect(countdown).not.toHaveText(first ?? "", { timeout: 5_000 });
  await shot(page, "wizard-5-live-waiting");
  // The test phone writes: Chatwoot delivers its message, signed with the webhook's secret
  // (read back from the fake's API, as Chatwoot keeps it). Chatwoot sends the number without
  // its ninth digit, as it sometimes does.
  await sendAsChatwoot(page, slug, {
    event: "message_created",
    id: Date.now(),
    content: "Oi, teste do celular",
    message_type: "incoming",
    private: false,
    account: { id: Number(ACCOUNT) },
    inbox: { id: 12 },
    sender: { id: 9001, name: "Celular de teste", phone_number: "+5511987654321", type: "contact" },
    conversation: {
      id: Date.now() % 1_000_000,
      inbox_id: 12,
      channel: "Channel::Whatsapp",
      contact_inbox: { source_id: "551187654321" },
    },
  });
  await expect(page.locator('#live-run li.live-channel[data-seen="true"]')).toHaveCount(1, { timeout: 30_000 });
  await expect(page.locator("#live-run")).toHaveAttribute("data-state", "passed", { timeout: 90_000 });
  await expect(page.locator("#live-countdown")).toHaveCount(0);
  await expect(page.locator('#wizard-items li[data-item="smoke_whatsapp"]')).toHaveAttribute("data-status", "ok");
  await shot(page, "wizard-5-live-passed");
  await page.locator("#wizard-next").click();

  // Evidence before the release: a screenshot and a log, each with its progress, previewed.
  await page.goto(`/orgs/${slug}/evidence`);
  await waitForHydration(page);
  await page.locator("#evidence-item").selectOption("smoke_whatsapp");
  await page.locator("#evidence-note").fill("teste ao vivo pelo celular de teste");
  await page.locator("#evidence-file").setInputFiles([
    { name: "print-whatsapp.png", mimeType: "image/png", buffer: PNG },
    { name: "pipeline.log", mimeType: "text/plain", buffer: Buffer.from("10:00:01 webhook aceito\n10:00:02 negócio criado\n") },
  ]);
  const sent = page.locator("#evidence-sending li.send");
  await expect(sent).toHaveCount(2);
  await expect(sent.locator("progress")).toHaveCount(2);
  await expect(page.locator("#evidence-sending li.send.ok")).toHaveCount(2, { timeout: 30_000 });
  await expect(page.locator("#evidence-list tbody tr")).toHaveCount(2, { timeout: 30_000 });
  await shot(page, "evidence-uploaded");
  await page.locator('#evidence-list tr[data-kind="png"] button.thumb').click();
  await expect(page.locator("#preview-image")).toBeVisible();
  await shot(page, "evidence-preview-image");
  await page.locator("#preview-close").click();
  await page.locator('#evidence-list tr[data-kind="text"] button.view-text').click();
  await expect(page.locator("#preview-text")).toContainText("negócio criado");
  await shot(page, "evidence-preview-log");
  await page.locator("#preview-close").click();

  // Step 6: released to the pilot, with the person releasing as technical owner.
  await page.goto(`/orgs/${slug}/wizard`);
  await waitForHydration(page);
  await onStep(page, "release");
  await expect(page.locator("#wizard-owner")).toHaveValue(process.env.PONTE_E2E_ADMIN_EMAIL ?? "admin@ponte.test");
  await shot(page, "wizard-6-release");
  await page.getByLabel("Piloto").check();
  await page.locator("#wizard-continue").click();
  await expect(page.locator("#wizard-released")).toBeVisible({ timeout: 30_000 });
  await expect(page.locator("#org-status")).toHaveText("Piloto");
  await expect(page.locator('#wizard-steps li[data-done="true"]')).toHaveCount(6);
  await shot(page, "wizard-done");

  // The go-live record on the evidence page, its snapshot intact; T-2/T0 evidence locked.
  await page.locator("#wizard-evidence-link").click();
  await expect(page.locator("#go-live-record")).toBeVisible();
  await expect(page.locator("#snapshot-intact")).toHaveText("íntegro");
  await expect(page.locator("#snapshot-hash")).toHaveText(/^[0-9a-f]{64}$/);
  await waitForHydration(page);
  await page.locator("#evidence-item").selectOption("smoke_whatsapp");
  await page.locator("#evidence-file").setInputFiles([{ name: "depois.png", mimeType: "image/png", buffer: PNG }]);
  await expect(page.locator('#evidence-sending li.send.failed[data-name="depois.png"]')).toContainText("travada", { timeout: 30_000 });
  await expect(page.locator("#evidence-list tbody tr")).toHaveCount(2);
  await shot(page, "evidence-locked");

  // The checklist: T-2 and T0 complete.
  await page.locator("#org-onboarding-link").click();
  await expect(page.locator("#phase-t_minus_2")).toHaveAttribute("data-complete", "true");
  await expect(page.locator("#phase-t0")).toHaveAttribute("data-complete", "true");
  await shot(page, "wizard-checklist");
  // The planilha: the checklist as XLSX (a zip: "PK").
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#checklist-xlsx").click()]);
  expect(download.suggestedFilename()).toBe(`checklist-${slug}.xlsx`);
  const saved = await download.path();
  expect(readFileSync(saved!).subarray(0, 2).toString()).toBe("PK");

  // The rollout board: the org with its progress.
  await page.goto("/rollout?state=pilot");
  await waitForHydration(page);
  const row = page.locator(`#rollout-board tr[data-slug="${slug}"]`);
  await expect(row).toHaveAttribute("data-done", "10");
  await expect(row.locator('li[data-phase="t_minus_2"]')).toHaveText("T-2 5/5");
  await expect(row.locator('li[data-phase="t0"]')).toHaveText("T0 5/5");
  await expect(row.locator("[data-state]")).toHaveText("Piloto");
  await shot(page, "rollout-board");
});
