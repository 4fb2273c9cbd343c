import { expect, test } from "./fixtures";
import { loginAsAdmin, waitForHydration } from "./helpers";

const apiKey = process.env.PONTE_E2E_API_KEY ?? "";
const n8nUrl = process.env.PONTE_TEST_N8N_URL ?? "";
const n8nKey = process.env.PONTE_TEST_N8N_API_KEY ?? "";

test("an operator rolls an org's automation back and forward from the portal, with a real n8n", async ({
  page,
  request,
  baseURL,
}) => {
  expect(apiKey, "PONTE_E2E_API_KEY must be set by the test command").not.toBe("");
  expect(n8nUrl, "PONTE_TEST_N8N_URL must be set by the test command (it starts n8n)").not.toBe("");
  const auth = { Authorization: `Bearer ${apiKey}` };
  const slug = `auto-${Date.now()}`;
  let res = await request.post("/api/v1/admin/orgs", { headers: auth, data: { slug, name: "Loja da Automação" } });
  expect(res.status()).toBe(201);
  res = await request.put(`/api/v1/admin/orgs/${slug}/n8n`, { headers: auth, data: { base_url: n8nUrl, api_key: n8nKey } });
  expect(res.status(), await res.text()).toBe(200);
  res = await request.post(`/api/v1/admin/orgs/${slug}/automation/install`, { headers: auth, data: { ponte_url: baseURL } });
  expect(res.status(), await res.text()).toBe(200);
  res = await request.post(`/api/v1/admin/orgs/${slug}/automation/roll-forward`, { headers: auth, data: {} });
  expect((await res.json()).outcome).toBe("ok");

  await loginAsAdmin(page);
  await page.goto(`/orgs/${slug}`);
  await waitForHydration(page);
  await page.locator("#org-automation-link").click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/automation$`));
  await waitForHydration(page);
  await expect(page.locator("#automation-mode")).toHaveAttribute("data-mode", "v2");
  await expect(page.locator("#v2-state")).toHaveAttribute("data-active", "true");
  await expect(page.locator("#n8n-connection")).toContainText("conectado");

  // Rollback asks for confirmation first.
  await page.getByRole("button", { name: "Reverter automação (rollback)" }).click();
  await expect(page.locator("#rollback-form")).toContainText("Confirma o rollback?");
  await page.locator("#rollback-form input[name=reason]").fill("clientes recebendo resposta duplicada");
  await page.getByRole("button", { name: "Confirmar rollback" }).click();
  await expect(page.locator("#action-report")).toHaveAttribute("data-outcome", "ok");
  await expect(page.locator('#action-report li[data-ok="true"]')).toHaveCount(4);
  await expect(page.locator("#automation-mode")).toHaveAttribute("data-mode", "fallback");
  await expect(page.locator("#v2-state")).toHaveAttribute("data-active", "false");
  await expect(page.locator("#fallback-state")).toHaveAttribute("data-active", "true");
  await expect(page.locator("#incidents li").first()).toContainText("clientes recebendo resposta duplicada");

  // A token for a workflow: shown once.
  await page.locator("#token-form input[name=name]").fill("agente IA");
  await page.getByRole("button", { name: "Criar token" }).click();
  await expect(page.locator("#new-token")).toHaveText(/^ponte_ot_[0-9a-f]{64}$/);
  await expect(page.locator("#tokens tbody tr")).toHaveCount(2);

  // And forward again.
  await page.getByRole("button", { name: "Reativar o v2" }).click();
  await expect(page.locator("#automation-mode")).toHaveAttribute("data-mode", "v2");
  await expect(page.locator("#v2-state")).toHaveAttribute("data-active", "true");
});
