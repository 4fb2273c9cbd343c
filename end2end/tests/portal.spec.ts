import { expect, test } from "./fixtures";
import { login, loginAsAdmin, waitForHydration } from "./helpers";

test("a page behind login sends an anonymous visitor to the login page, in pt-BR", async ({ page }) => {
  await page.goto("/orgs");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Entrar no Ponte" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "pt-BR");
});

test("a wrong password is refused with a message in Portuguese", async ({ page }) => {
  await login(page, "admin@ponte.test", "senha-errada-123");
  await expect(page.getByRole("alert")).toHaveText("E-mail ou senha incorretos.");
  await expect(page).toHaveURL(/\/login$/);
});

test("an admin logs in, creates an organization and sees it in the list and on its overview", async ({ page }) => {
  const slug = `loja-${Date.now()}`;
  await loginAsAdmin(page);

  await page.getByRole("link", { name: "Nova organização" }).click();
  await expect(page).toHaveURL(/\/orgs\/new$/);
  // The stage template comes pre-filled from the default template.
  await expect(page.locator("textarea[name=stages]")).toHaveValue(/Novo contato\nEm atendimento\nProposta\nFechado/);

  // Bad input first: a slug with spaces and accents, and no name.
  await page.locator("input[name=slug]").fill("Coronel Picanhã");
  await page.getByRole("button", { name: "Criar organização" }).click();
  await expect(page.locator('.field-error[data-field="slug"]')).toContainText("letras minúsculas sem acento");
  await expect(page.locator('.field-error[data-field="name"]')).toHaveText("Campo obrigatório.");

  await page.locator("input[name=name]").fill("Coronel Picanha Centro");
  await page.locator("input[name=slug]").fill(slug);
  await page.getByRole("button", { name: "Criar organização" }).click();

  // Created: the wizard goes on with its second step, the Chatwoot channel.
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}/wizard$`));
  await expect(page.locator("#wizard-step")).toHaveAttribute("data-step", "chatwoot");
  await expect(page.locator('#wizard-steps li[data-step="create_org"]')).toHaveAttribute("data-done", "true");
  await page.locator("#org-overview-link").click();
  await expect(page).toHaveURL(new RegExp(`/orgs/${slug}$`));
  await expect(page.locator("#org-name")).toHaveText("Coronel Picanha Centro");
  await expect(page.locator("#org-slug")).toHaveText(slug);
  await expect(page.locator(".stages li")).toHaveText(["Novo contato", "Em atendimento", "Proposta", "Fechado"]);

  await page.locator(".topbar").getByRole("link", { name: "Organizações" }).click();
  await expect(page.locator(`#org-list tr[data-slug="${slug}"]`)).toContainText("Coronel Picanha Centro");
  await expect(page.locator(`#org-list tr[data-slug="${slug}"]`)).toContainText("Rascunho");

  // The same slug again is refused on its field.
  await page.getByRole("link", { name: "Nova organização" }).click();
  await page.locator("input[name=name]").fill("Outra");
  await page.locator("input[name=slug]").fill(slug);
  await page.getByRole("button", { name: "Criar organização" }).click();
  await expect(page.locator('.field-error[data-field="slug"]')).toHaveText("Já existe uma organização com este identificador.");
});

test("the portal switches to English and back, and logout ends the session", async ({ page }) => {
  await loginAsAdmin(page);
  await waitForHydration(page);
  await page.getByRole("button", { name: "EN" }).click();
  await expect(page.getByRole("heading", { name: "Organizations" })).toBeVisible();
  // The choice survives a reload (cookie), rendered by the server in English.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Organizations" })).toBeVisible();
  await waitForHydration(page);
  await page.getByRole("button", { name: "PT" }).click();
  await expect(page.getByRole("heading", { name: "Organizações" })).toBeVisible();

  await page.getByRole("button", { name: "Sair" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/orgs");
  await expect(page).toHaveURL(/\/login$/);
});
