//! `/orgs/:slug/evidence`: go-live evidence. Files are dropped or picked (several at once)
//! and each is sent on its own XMLHttpRequest to `/portal/orgs/{slug}/evidence`, so each
//! has its progress bar; the server types them by content and answers per file. The list
//! shows image thumbnails (full size on click), logs as text, PDFs opened in a tab, every
//! file's sha256; admins delete before go-live. The go-live record, once made, is shown
//! on top with its snapshot hash, and T-2/T0 evidence is then locked.

use super::components::time::Time;
use super::components::{allowed, error_text, ErrorBox, PageHead};
use super::onboarding::item_label;
use crate::api::evidence::{org_evidence, DeleteEvidence};
use crate::i18n::*;
use crate::model::{ErrorCode, EvidenceDto, GoLiveDto, ItemKey, Phase, Role};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// One file being sent.
#[derive(Clone, Debug, PartialEq)]
struct Sending {
    id: usize,
    name: String,
    loaded: f64,
    total: f64,
    state: SendState,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum SendState {
    Sending,
    Done { duplicate: bool },
    Failed(String),
}

#[component]
pub fn EvidencePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let delete = ServerAction::<DeleteEvidence>::new();
    let finished = RwSignal::new(0u64);
    let data = Resource::new(move || (slug(), delete.version().get(), finished.get()), |(s, _, _)| org_evidence(s));
    let sending = RwSignal::new(Vec::<Sending>::new());
    view! {
        <PageHead title=move || t!(i18n, evidence.title) />
        <p class="muted">{t!(i18n, evidence.intro)}</p>
        // Outside the list's Transition: the uploads outlive its reloads.
        <Show when=move || allowed(Role::Operator)>
            <UploadZone slug=Signal::derive(slug) sending on_done=Callback::new(move |_| finished.update(|n| *n += 1)) />
        </Show>
        <Transition fallback=move || t!(i18n, loading)>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! {
                        {page.go_live.clone().map(|g| view! { <GoLiveCard record=g slug=slug() /> })}
                        <EvidenceList slug=slug() files=page.files can_delete=page.can_delete delete />
                    }
                    .into_any(),
                    Err(err) => view! { <ErrorBox err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The record on top of the page: when, who, and the snapshot's hash with its download.
#[component]
fn GoLiveCard(record: GoLiveDto, slug: String) -> impl IntoView {
    let i18n = use_i18n();
    let target = record.target;
    view! {
        <section class="card go-live" id="go-live-record">
            <h2>{t!(i18n, evidence.go_live_title)}</h2>
            <dl class="facts">
                <dt>{t!(i18n, evidence.go_live_at)}</dt>
                <dd><Time at=Some(record.live_at) /></dd>
                <dt>{t!(i18n, evidence.go_live_target)}</dt>
                <dd>{move || super::orgs::status_text(i18n, target)}</dd>
                <dt>{t!(i18n, evidence.technical_owner)}</dt>
                <dd>{record.technical_owner.clone()}</dd>
                <dt>{t!(i18n, evidence.approver)}</dt>
                <dd>{record.approver.clone()}</dd>
                {record.override_reason.clone().map(|r| view! {
                    <dt>{t!(i18n, evidence.override_reason)}</dt>
                    <dd>{r}</dd>
                })}
                <dt>{t!(i18n, evidence.snapshot)}</dt>
                <dd>
                    <code class="hash" id="snapshot-hash">{record.snapshot_sha256.clone()}</code>
                    " "
                    {if record.intact {
                        view! { <span class="badge ok" id="snapshot-intact">{t!(i18n, evidence.intact)}</span> }.into_any()
                    } else {
                        view! { <span class="badge failed" id="snapshot-intact">{t!(i18n, evidence.altered)}</span> }.into_any()
                    }}
                    " "
                    <a href=format!("/portal/orgs/{slug}/go-live/snapshot.json") download="">{t!(i18n, evidence.snapshot_download)}</a>
                </dd>
            </dl>
            <p class="muted">{t!(i18n, evidence.locked_help)}</p>
        </section>
    }
}

/// The scopes a file can go to: the org as a whole, then every checklist item by phase.
fn scope_options(i18n: I18nContext<Locale>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), t_string!(i18n, evidence.scope_org).to_string())];
    for phase in Phase::ALL {
        for key in ItemKey::of_phase(*phase) {
            out.push((key.as_str().to_string(), format!("{} · {}", phase_short(*phase), item_label(i18n, key))));
        }
    }
    out
}

fn phase_short(p: Phase) -> &'static str {
    match p {
        Phase::PreActivation => "T-2",
        Phase::Activation => "T0",
        Phase::PostActivation => "T+1",
    }
}

#[component]
fn UploadZone(slug: Signal<String>, sending: RwSignal<Vec<Sending>>, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let item = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let over = RwSignal::new(false);
    let next_id = StoredValue::new(0usize);
    let send_all = move |files: web_sys::FileList| {
        for i in 0..files.length() {
            let Some(file) = files.get(i) else { continue };
            let id = next_id.get_value();
            next_id.set_value(id + 1);
            sending.update(|s| {
                s.push(Sending { id, name: file.name(), loaded: 0.0, total: file.size(), state: SendState::Sending })
            });
            let lang_msg = move |code: Option<ErrorCode>| match code {
                Some(c) => error_text(i18n, c),
                None => t_string!(i18n, evidence.send_failed).to_string(),
            };
            send(
                &slug.get_untracked(),
                &item.get_untracked(),
                &note.get_untracked(),
                file,
                id,
                sending,
                lang_msg,
                on_done,
            );
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        over.set(false);
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
            send_all(files);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            if let Some(files) = input.files() {
                send_all(files);
            }
            input.set_value("");
        }
    };
    view! {
        <section class="card upload" id="evidence-upload">
            <div class="form-row">
                <label>
                    {t!(i18n, evidence.scope)}
                    <select id="evidence-item" on:change=move |ev| item.set(event_target_value(&ev))>
                        {move || scope_options(i18n)
                            .into_iter()
                            .map(|(value, label)| view! { <option value=value.clone() selected=move || item.get() == value>{label}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    {t!(i18n, evidence.note)}
                    <input type="text" id="evidence-note" maxlength="500" prop:value=note on:input=move |ev| note.set(event_target_value(&ev)) />
                </label>
            </div>
            <div
                class="dropzone"
                id="evidence-drop"
                class:over=over
                on:dragover=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    over.set(true);
                }
                on:dragleave=move |_| over.set(false)
                on:drop=on_drop
            >
                <p>{t!(i18n, evidence.drop_here)}</p>
                <label class="button">
                    {t!(i18n, evidence.pick)}
                    <input type="file" multiple id="evidence-file" class="visually-hidden" on:change=on_pick />
                </label>
                <p class="muted small">{t!(i18n, evidence.accepted)}</p>
            </div>
            <ul class="sending" id="evidence-sending">
                <For each=move || sending.get() key=|s| (s.id, s.state.clone(), s.loaded as u64) let:s>
                    <SendingRow s />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn SendingRow(s: Sending) -> impl IntoView {
    let i18n = use_i18n();
    let pct = if s.total > 0.0 { (s.loaded / s.total * 100.0).min(100.0) } else { 0.0 };
    let (class, text) = match &s.state {
        SendState::Sending => ("sending", format!("{pct:.0} %")),
        SendState::Done { duplicate: false } => ("ok", t_string!(i18n, evidence.sent).to_string()),
        SendState::Done { duplicate: true } => ("ok", t_string!(i18n, evidence.already_there).to_string()),
        SendState::Failed(msg) => ("failed", msg.clone()),
    };
    let done = !matches!(s.state, SendState::Sending);
    view! {
        <li class=format!("send {class}") data-name=s.name.clone()>
            <span class="name">{s.name.clone()}</span>
            <progress max="100" value=if done { 100.0 } else { pct }></progress>
            <span class="state" role="status">{text}</span>
        </li>
    }
}

/// Sends one file; its row follows the upload's progress and ends with the server's word.
#[allow(clippy::too_many_arguments)]
fn send(
    slug: &str,
    item: &str,
    note: &str,
    file: web_sys::File,
    id: usize,
    sending: RwSignal<Vec<Sending>>,
    message: impl Fn(Option<ErrorCode>) -> String + 'static,
    on_done: Callback<()>,
) {
    let set = move |f: &dyn Fn(&mut Sending)| {
        sending.update(|all| {
            if let Some(s) = all.iter_mut().find(|s| s.id == id) {
                f(s)
            }
        })
    };
    let fail = move |msg: String| set(&|s| s.state = SendState::Failed(msg.clone()));
    let (Ok(xhr), Ok(form)) = (web_sys::XmlHttpRequest::new(), web_sys::FormData::new()) else {
        fail(message(None));
        return;
    };
    let _ = form.append_with_str("item", item);
    let _ = form.append_with_str("note", note);
    let _ = form.append_with_blob_and_filename("file", &file, &file.name());
    if xhr.open_with_async("POST", &format!("/portal/orgs/{slug}/evidence"), true).is_err() {
        fail(message(None));
        return;
    }
    if let Ok(upload) = xhr.upload() {
        let progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
            if ev.length_computable() {
                set(&|s| {
                    s.loaded = ev.loaded();
                    s.total = ev.total();
                });
            }
        });
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
    }
    let done_xhr = xhr.clone();
    let load = Closure::<dyn FnMut()>::new(move || {
        let status = done_xhr.status().unwrap_or(0);
        let body = done_xhr.response_text().ok().flatten().unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if status == 201 {
            let duplicate = json[0]["duplicate"].as_bool().unwrap_or(false);
            set(&|s| s.state = SendState::Done { duplicate });
        } else {
            let code = serde_json::from_value::<ErrorCode>(json["error"]["code"].clone()).ok();
            let msg = message(code);
            set(&|s| s.state = SendState::Failed(msg.clone()));
        }
        on_done.run(());
    });
    xhr.set_onload(Some(load.as_ref().unchecked_ref()));
    load.forget();
    let error = Closure::<dyn FnMut()>::new(move || {
        set(&|s| s.state = SendState::Failed(String::new()));
    });
    xhr.set_onerror(Some(error.as_ref().unchecked_ref()));
    error.forget();
    if xhr.send_with_opt_form_data(Some(&form)).is_err() {
        fail(String::new());
    }
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / 1024.0 / 1024.0),
        b if b >= 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

#[component]
fn EvidenceList(
    slug: String,
    files: Vec<EvidenceDto>,
    can_delete: bool,
    delete: ServerAction<DeleteEvidence>,
) -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(None::<(EvidenceDto, Option<String>)>);
    if files.is_empty() {
        return view! { <p class="muted" id="no-evidence">{t!(i18n, evidence.empty)}</p> }.into_any();
    }
    let base = format!("/portal/orgs/{slug}/evidence");
    let rows = files
        .into_iter()
        .rev()
        .map(|f| {
            let href = format!("{base}/{}", f.id);
            let inline = format!("{href}?inline=1");
            let scope = match f.item {
                Some(k) => format!("{} · {}", phase_short(k.phase()), item_label(i18n, k)),
                None => t_string!(i18n, evidence.scope_org).to_string(),
            };
            let thumb = if f.kind.is_image() {
                let (file, inline) = (f.clone(), inline.clone());
                view! {
                    <button class="thumb" on:click=move |_| shown.set(Some((file.clone(), None))) title=t_string!(i18n, evidence.view)>
                        <img src=inline alt=f.name.clone() loading="lazy" />
                    </button>
                }
                .into_any()
            } else {
                view! { <span class="kind">{f.kind.as_str().to_uppercase()}</span> }.into_any()
            };
            let view_link = if f.kind.is_text() {
                let (file, inline) = (f.clone(), inline.clone());
                view! {
                    <button class="link view-text" on:click=move |_| {
                        let file = file.clone();
                        let url = inline.clone();
                        leptos::task::spawn_local(async move {
                            let text = fetch_text(&url).await.unwrap_or_default();
                            shown.set(Some((file, Some(text))));
                        });
                    }>{t!(i18n, evidence.view)}</button>
                }
                .into_any()
            } else if f.kind == crate::model::EvidenceType::Pdf {
                view! { <a href=inline.clone() target="_blank" rel="noopener">{t!(i18n, evidence.view)}</a> }.into_any()
            } else {
                ().into_any()
            };
            let id = f.id.to_string();
            let slug = slug.clone();
            view! {
                <tr data-name=f.name.clone() data-kind=f.kind.as_str()>
                    <td>{thumb}</td>
                    <td>
                        <strong>{f.name.clone()}</strong>
                        {f.note.clone().map(|n| view! { <div class="muted small">{n}</div> })}
                    </td>
                    <td>{scope}</td>
                    <td>{human_size(f.size)}</td>
                    <td><code class="hash" title=f.sha256.clone()>{f.sha256[..12].to_string()}</code></td>
                    <td>{f.uploaded_by.clone()}<div class="muted small"><Time at=Some(f.uploaded_at) /></div></td>
                    <td class="actions">
                        {view_link} " "
                        <a href=href download="">{t!(i18n, evidence.download)}</a>
                        {can_delete.then(|| view! {
                            " "
                            <ActionForm action=delete attr:class="inline">
                                <input type="hidden" name="slug" value=slug.clone() />
                                <input type="hidden" name="id" value=id.clone() />
                                <button type="submit" class="link danger">{t!(i18n, evidence.delete)}</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let base = StoredValue::new(base);
    view! {
        <div class="table-wrap">
        <table class="grid evidence" id="evidence-list">
            <thead>
                <tr>
                    <th></th>
                    <th>{t!(i18n, evidence.file)}</th>
                    <th>{t!(i18n, evidence.scope)}</th>
                    <th>{t!(i18n, evidence.size)}</th>
                    <th>"sha256"</th>
                    <th>{t!(i18n, evidence.uploaded)}</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
        <Show when=move || shown.get().is_some()>
            {move || shown.get().map(|(file, text)| {
                let inline = format!("{}/{}?inline=1", base.get_value(), file.id);
                view! {
                    <div class="preview" id="evidence-preview" role="dialog" on:click=move |_| shown.set(None)>
                        <div class="preview-body" on:click=|ev| ev.stop_propagation()>
                            <p class="preview-head">
                                <strong>{file.name.clone()}</strong>
                                <button class="link" id="preview-close" on:click=move |_| shown.set(None)>{t!(i18n, evidence.close)}</button>
                            </p>
                            {match text {
                                Some(t) => view! { <pre class="log" id="preview-text">{t}</pre> }.into_any(),
                                None => view! { <img src=inline alt=file.name.clone() id="preview-image" /> }.into_any(),
                            }}
                        </div>
                    </div>
                }
            })}
        </Show>
    }
    .into_any()
}

/// A log's text through the portal's own download (same origin, the session cookie).
async fn fetch_text(url: &str) -> Option<String> {
    let window = web_sys::window()?;
    let resp = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url)).await.ok()?;
    let resp: web_sys::Response = resp.dyn_into().ok()?;
    let text = wasm_bindgen_futures::JsFuture::from(resp.text().ok()?).await.ok()?;
    text.as_string()
}
