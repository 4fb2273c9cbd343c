//! The `ponte` binary's sub-commands, run as a person would at a terminal.

use std::process::Command;

fn ponte(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ponte"));
    c.arg("--data-dir").arg(data).env_remove("DATABASE_URL").env_remove("PONTE_ADMIN_PASSWORD").env("RUST_LOG", "warn");
    c
}

#[test]
fn admin_create_and_api_key_create_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = ponte(dir.path()).args(["admin", "create", "--email", "Chefe@Ponte.test"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("chefe@ponte.test (admin"), "{stdout}");
    assert!(stdout.contains("Senha gerada"), "a password is generated when none is given");
    assert!(dir.path().join("master.key").exists(), "master key generated into the data folder");

    let out = ponte(dir.path()).args(["admin", "create", "--email", "chefe@ponte.test"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Já existe um usuário com este e-mail"));

    let out = ponte(dir.path())
        .args(["admin", "create", "--email", "op@ponte.test", "--role", "operator"])
        .env("PONTE_ADMIN_PASSWORD", "curta")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("10 caracteres"));

    let out = ponte(dir.path()).args(["admin", "api-key", "create", "--name", "provisionamento"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("ponte_ak_") && l.len() == "ponte_ak_".len() + 64), "{stdout}");

    let out = ponte(dir.path()).args(["admin", "api-key", "list"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("provisionamento") && stdout.contains("ativa"));
    assert!(!stdout.lines().any(|l| l.len() > 80), "the secret is never listed");
}

#[test]
fn unknown_flags_and_roles_fail_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = ponte(dir.path()).args(["admin", "create", "--email", "a@b.co", "--role", "root"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Papel inválido"));
    let out = ponte(dir.path()).arg("--nao-existe").output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn backfill_runs_from_the_command_line_and_refuses_an_unknown_org() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // An org with two contacts, made through the domain on the same SQLite file.
    rt.block_on(async {
        let mut config = ponte_server::config::Config::for_data_dir(dir.path().to_path_buf());
        config.database_url = None;
        let svc = ponte_server::services(&config).await.unwrap();
        let actor = app::domain::Actor::cli();
        let org = app::model::NewOrg { slug: "coronel".into(), name: "Coronel".into(), ..Default::default() };
        app::domain::orgs::create_org(&svc, &actor, &org).await.unwrap();
        app::domain::backfill::add_contact(&svc, "coronel", Some("A"), Some("(11) 98765-4321")).await.unwrap();
        app::domain::backfill::add_contact(&svc, "coronel", Some("B"), Some("0800")).await.unwrap();
        svc.db.close().await;
    });
    let out = ponte(dir.path()).args(["backfill", "--org", "coronel", "--dry-run"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("simulação")
            && stdout.contains("1 identidades seriam criadas")
            && stdout.contains("1 telefones inválidos"),
        "{stdout}"
    );
    let out = ponte(dir.path()).args(["backfill", "--org", "coronel"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("(done)") && stdout.contains("1 identidades criadas"), "{stdout}");
    let out = ponte(dir.path()).args(["backfill", "--org", "nenhuma"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Não encontrado"));
}
