import { expect, test } from "./fixtures";
import { loginAsAdmin, waitForHydration } from "./helpers";

const apiKey = process.env.PONTE_E2E_API_KEY ?? "";

/** A client's base as a pt-BR spreadsheet exports it: `;`, Portuguese headers. 30 distinct
 * mobiles, two numbers typed again on second contacts, one invalid phone, one bad e-mail. */
function clientBase(): string {
  const rows = ["id_externo;nome;telefone;email"];
  for (let i = 0; i < 30; i++) {
    rows.push(`ext-${i};Cliente ${i};(11) 9${7000 + i}-${1000 + i};`);
  }
  rows.push("ext-dup1;Cliente repetido;+55 11 97000-1000;");
  rows.push("ext-dup2;Outra repetida;11970011001;");
  rows.push("ext-bad;Telefone ruim;0800;");
  rows.push("ext-mail;E-mail ruim;11 98888-0000;x@");
  return rows.join("\n") + "\n";
}

test("an operator imports a client's base, runs the backfill and reconciles a clash", async ({ page, request }) => {
  expect(apiKey, "PONTE_E2E_API_KEY must be set by the test command").not.toBe("");
  const auth = { Authorization: `Bearer ${apiKey}` };
  const slug = `base-${Date.now()}`;
  const res = await request.post("/api/v1/admin/orgs", { headers: auth, data: { slug, name: "Churrascaria da Base" } });
  expect(res.status()).toBe(201);

  await loginAsAdmin(page);
  await page.goto(`/orgs/${slug}`);
  await waitForHydration(page);
  await page.locator("#org-contacts-link").click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/contacts$`));

  // A file without recognizable columns comes back with the reason, in Portuguese.
  await page.locator("#import-file").setInputFiles({
    name: "errado.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("coluna;outra\n1;2\n"),
  });
  await page.locator("#import-submit").click();
  await expect(page).toHaveURL(/error=csv_header_invalid/);
  await expect(page.locator("#import-error")).toContainText("A primeira linha do CSV");

  // The real file: imported, the bad row reported.
  await page.locator("#import-file").setInputFiles({
    name: "clientes.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(clientBase()),
  });
  await page.locator("#import-submit").click();
  await expect(page).toHaveURL(/import=\d+/);
  const row = page.locator("#imports tr.highlight");
  await expect(row.locator(".rows")).toHaveText("34");
  await expect(row.locator(".created")).toHaveText("33");
  await expect(row.locator(".rejected")).toHaveText("1");
  await expect(row.locator(".warnings")).toHaveText("1");
  const reportHref = await row.locator(".report-link").getAttribute("href");
  const report = await page.request.get(reportHref!);
  expect(report.status()).toBe(200);
  const reportText = await report.text();
  expect(reportText).toContain("email_invalid");
  expect(reportText).toContain("phone_invalid");

  // The backfill starts as a dry run: it counts, writes nothing, asks nothing.
  await page.goto(`/orgs/${slug}/backfill`);
  await waitForHydration(page);
  await expect(page.locator("#no-runs")).toBeVisible();
  await expect(page.locator("#backfill-dry-run")).toBeChecked();
  await page.locator("#backfill-batch-size").fill("7");
  await page.locator("#backfill-start").click();
  const progress = page.locator("#current-run .run-progress");
  await expect(progress).toHaveAttribute("data-status", "done", { timeout: 20_000 });
  await expect(progress).toContainText("simulação");
  await expect(page.locator("#open-tasks")).toHaveAttribute("data-count", "0");

  // A real run asks first, saying what it writes; "Cancelar" starts nothing.
  await page.locator("#backfill-dry-run").uncheck();
  await page.locator("#backfill-start").click();
  await expect(page.locator("#backfill-confirm")).toContainText("grava");
  await page.locator("#backfill-confirm-no").click();
  await expect(page.locator("#backfill-confirm")).toHaveCount(0);
  await expect(page.locator("#backfill-history tbody tr")).toHaveCount(1);
  await page.locator("#backfill-start").click();
  await page.locator("#backfill-confirm-yes").click();
  await expect(page.locator("#backfill-history tbody tr")).toHaveCount(2);
  await expect(progress).not.toContainText("simulação");
  await expect(progress).toHaveAttribute("data-status", "done", { timeout: 20_000 });
  await expect(progress.locator(".created")).toHaveText("30");
  await expect(progress.locator(".conflicts")).toHaveText("2");
  await expect(progress.locator(".invalid")).toHaveText("1");
  await expect(page.locator("#open-tasks")).toHaveAttribute("data-count", "2");
  const runReport = await page.request.get((await page.locator("#backfill-history .report-link").first().getAttribute("href"))!);
  expect(await runReport.text()).toContain("duplicate_phone");

  // Reconciliation: both contacts side by side; link the number to the second one.
  await page.locator("#reconciliation-link").click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/reconciliation$`));
  const tasks = page.locator("#tasks .task");
  await expect(tasks).toHaveCount(2);
  const first = tasks.first();
  await expect(first.locator(".contact-card.this h3")).toContainText("repetid");
  await expect(first.locator(".contact-card.other .identities")).toContainText("whatsapp:55119700");
  // Each decision is confirmed with its effect spelled out; "Cancelar" decides nothing.
  await first.locator('button[data-choice="linked_other"]').click();
  await expect(first.locator(".resolve-confirm")).toContainText("O número passa para este contato");
  await first.locator(".resolve-confirm-no").click();
  await expect(first.locator(".resolve-confirm")).toHaveCount(0);
  await expect(tasks).toHaveCount(2);
  await first.locator('button[data-choice="linked_other"]').click();
  await first.locator(".resolve-confirm-yes").click();
  await expect(tasks).toHaveCount(1);
  await tasks.first().locator('button[data-choice="not_same_person"]').click();
  await tasks.first().locator(".resolve-confirm-yes").click();
  await expect(page.locator("#no-tasks")).toBeVisible();
  await page.locator("#task-status").selectOption("resolved");
  await expect(page.locator('#tasks .resolution[data-resolution="linked_other"]')).toHaveCount(1);
  await expect(page.locator('#tasks .resolution[data-resolution="not_same_person"]')).toHaveCount(1);
  // A decision is undone after a confirmation: the task is open again.
  const decided = page.locator("#tasks .task").filter({ has: page.locator('.resolution[data-resolution="linked_other"]') });
  await decided.locator("button.reopen").click();
  await expect(decided.locator(".reopen-confirm")).toContainText("Desfazer volta o número");
  await decided.locator(".reopen-confirm-yes").click();
  await expect(page.locator('#tasks .resolution[data-resolution="linked_other"]')).toHaveCount(0);
  await page.locator("#task-status").selectOption("open");
  await expect(page.locator("#tasks .task")).toHaveCount(1);
});

test("the overview starts a wave of orgs at once and watches each run", async ({ page, request }) => {
  const auth = { Authorization: `Bearer ${apiKey}` };
  const stamp = Date.now();
  const slugs = [`onda-a-${stamp}`, `onda-b-${stamp}`];
  for (const [n, slug] of slugs.entries()) {
    let res = await request.post("/api/v1/admin/orgs", { headers: auth, data: { slug, name: `Loja da Onda ${n}` } });
    expect(res.status()).toBe(201);
    const csv = ["nome,telefone", ...Array.from({ length: 12 }, (_, i) => `C${i},+55 2${n + 1} 9${6000 + i}-${2000 + i}`)];
    res = await request.post(`/api/v1/admin/orgs/${slug}/contacts/import`, {
      headers: { ...auth, "Content-Type": "text/csv" },
      data: csv.join("\n"),
    });
    expect(res.status(), await res.text()).toBe(200);
  }
  await loginAsAdmin(page);
  await page.goto("/backfill");
  await waitForHydration(page);
  for (const slug of slugs) {
    await page.locator(`tr[data-org="${slug}"] .wave-pick`).check();
  }
  await expect(page.locator("#wave-start")).toContainText("(2)");
  // A real wave (the dry run unticked) is confirmed, naming the orgs.
  await page.locator("#wave-dry-run").uncheck();
  await page.locator("#wave-start").click();
  await expect(page.locator("#wave-confirm")).toContainText(slugs[0]);
  await page.locator("#wave-confirm-yes").click();
  for (const slug of slugs) {
    const progress = page.locator(`tr[data-org="${slug}"] .run-progress`);
    await expect(progress).toHaveAttribute("data-status", "done", { timeout: 20_000 });
    await expect(progress.locator(".created")).toHaveText("12");
  }
});
