//! The workspaces dialog: every session kept in this browser (name, size, last use), and
//! moving sessions in and out — export as a file, import a file, share as a link.

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::number::{decimal, one_decimal};
use crate::scenario::MAX_IMPORT_BYTES;
use crate::storage::WorkspaceRow;

/// What the learner asked the dialog for.
#[derive(Clone, PartialEq)]
pub enum WorkspaceAction {
    New,
    Open(String),
    Rename(String, String),
    Duplicate(String),
    Delete(String),
    Export,
    Import(web_sys::File),
    Share,
    Close,
}

#[derive(Properties, PartialEq)]
pub struct WorkspacesProps {
    pub rows: Vec<WorkspaceRow>,
    pub current: String,
    /// A share link made for the current workspace.
    pub share_link: Option<String>,
    /// The outcome of the last action (an error names the problem).
    pub message: Option<(bool, String)>,
    pub saving_disabled: bool,
    pub on_action: Callback<WorkspaceAction>,
}

/// "12.3 KB" and the like.
pub fn human_bytes(bytes: f64) -> String {
    match bytes {
        b if b < 1024.0 => format!("{} B", decimal(b, 0)),
        b if b < 1024.0 * 1024.0 => format!("{} KB", one_decimal(b / 1024.0)),
        b => format!("{} MB", one_decimal(b / 1024.0 / 1024.0)),
    }
}

fn last_used(ms: f64) -> String {
    let date = js_sys::Date::new(&ms.into());
    String::from(date.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
}

#[function_component(WorkspacesDialog)]
pub fn workspaces_dialog(props: &WorkspacesProps) -> Html {
    let renaming = use_state(|| None::<(String, String)>);
    let confirm_delete = use_state(|| None::<WorkspaceRow>);
    let emit = |action: WorkspaceAction| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(action.clone()))
    };
    let on_file = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_action.emit(WorkspaceAction::Import(file));
            }
            input.set_value("");
        })
    };
    let rows = props.rows.iter().map(|row| {
        let is_current = row.id == props.current;
        let name = if row.name.is_empty() { "(unnamed)".to_string() } else { row.name.clone() };
        let editing = renaming.as_ref().filter(|(id, _)| *id == row.id).map(|(_, text)| text.clone());
        let name_cell = match editing {
            Some(text) => {
                let renaming_input = renaming.clone();
                let renaming_save = renaming.clone();
                let on_action = props.on_action.clone();
                let id = row.id.clone();
                let save = Callback::from(move |event: SubmitEvent| {
                    event.prevent_default();
                    if let Some((id, text)) = (*renaming_save).clone() {
                        on_action.emit(WorkspaceAction::Rename(id, text.trim().to_string()));
                    }
                    renaming_save.set(None);
                });
                let cancel = { let renaming = renaming.clone(); Callback::from(move |_| renaming.set(None)) };
                html! {
                    <form class="rename" onsubmit={save} aria-label={format!("Rename {name}")}>
                        <input type="text" aria-label="New name" value={text} maxlength="80"
                            oninput={Callback::from(move |e: InputEvent| {
                                let input: HtmlInputElement = e.target_unchecked_into();
                                renaming_input.set(Some((id.clone(), input.value())));
                            })} />
                        <button type="submit">{ "Save name" }</button>
                        <button type="button" class="secondary" onclick={cancel}>{ "Cancel" }</button>
                    </form>
                }
            }
            None => html! {
                <>
                    { name.clone() }
                    if is_current { <span class="badge">{ " (open)" }</span> }
                </>
            },
        };
        let start_rename = {
            let renaming = renaming.clone();
            let (id, current) = (row.id.clone(), row.name.clone());
            Callback::from(move |_| renaming.set(Some((id.clone(), current.clone()))))
        };
        let ask_delete = {
            let confirm_delete = confirm_delete.clone();
            let row = row.clone();
            Callback::from(move |_| confirm_delete.set(Some(row.clone())))
        };
        html! {
            <tr key={row.id.clone()} aria-current={is_current.then_some("true")}>
                <th scope="row">{ name_cell }</th>
                <td>{ human_bytes(row.bytes) }<br/><small>{ format!("{} entries", row.entry_count as u64) }</small></td>
                <td>{ last_used(row.updated) }</td>
                <td class="row-actions">
                    <button type="button" disabled={is_current} onclick={emit(WorkspaceAction::Open(row.id.clone()))}
                        aria-label={format!("Open {name}")}>{ "Open" }</button>
                    <button type="button" class="secondary" onclick={start_rename} aria-label={format!("Rename {name}")}>{ "Rename" }</button>
                    <button type="button" class="secondary" onclick={emit(WorkspaceAction::Duplicate(row.id.clone()))}
                        aria-label={format!("Duplicate {name}")}>{ "Duplicate" }</button>
                    <button type="button" class="secondary danger" onclick={ask_delete} aria-label={format!("Delete {name}")}>{ "Delete" }</button>
                </td>
            </tr>
        }
    });
    html! {
        <div class="dialog-backdrop">
            <div class="dialog wide" role="dialog" aria-modal="true" aria-labelledby="workspaces-title">
                <h2 id="workspaces-title">{ "Workspaces" }</h2>
                <p class="hint">{ "Each workspace is a session kept in this browser: every command is saved as you go." }</p>
                if props.saving_disabled {
                    <p class="hint" role="note">{ "Saving is off in this tab; export keeps a copy of the session." }</p>
                }
                <div class="actions">
                    <button type="button" onclick={emit(WorkspaceAction::New)}>{ "New workspace" }</button>
                    <button type="button" class="secondary" onclick={emit(WorkspaceAction::Export)}>{ "Export JSON" }</button>
                    <label class="file-button secondary">
                        { "Import JSON file" }
                        <input type="file" accept=".json,application/json" aria-label="Import JSON file" onchange={on_file} />
                    </label>
                    <button type="button" class="secondary" onclick={emit(WorkspaceAction::Share)}>{ "Share link" }</button>
                </div>
                <small class="hint">{ format!("Imported files may be up to {} MB; they are checked completely before anything is stored.", MAX_IMPORT_BYTES / 1024 / 1024) }</small>
                if let Some((ok, text)) = &props.message {
                    <p class={classes!("outcome", (!*ok).then_some("error"))} role={if *ok { "status" } else { "alert" }}>{ text }</p>
                }
                if let Some(link) = &props.share_link {
                    <label class="share-link">{ "Share link " }
                        <input type="text" readonly=true value={link.clone()} aria-label="Share link"
                            onfocus={Callback::from(|e: FocusEvent| {
                                if let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) { input.select(); }
                            })} />
                    </label>
                }
                <table class="compact workspaces">
                    <caption class="visually-hidden">{ "Workspaces in this browser" }</caption>
                    <thead><tr><th scope="col">{ "Name" }</th><th scope="col">{ "Size" }</th><th scope="col">{ "Last used" }</th><th scope="col">{ "Actions" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                <div class="actions"><button type="button" class="secondary" onclick={emit(WorkspaceAction::Close)}>{ "Close" }</button></div>
            </div>
            if let Some(row) = &*confirm_delete {
                <div class="dialog-backdrop">
                    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="delete-title">
                        <h2 id="delete-title">{ format!("Delete workspace \"{}\"?", row.name) }</h2>
                        <p>{ format!("Its {} entries ({}) are removed from this browser. This cannot be undone; export it first to keep a copy.", row.entry_count as u64, human_bytes(row.bytes)) }</p>
                        <div class="actions">
                            <button type="button" class="danger" onclick={{
                                let confirm_delete = confirm_delete.clone();
                                let on_action = props.on_action.clone();
                                let id = row.id.clone();
                                Callback::from(move |_| { confirm_delete.set(None); on_action.emit(WorkspaceAction::Delete(id.clone())); })
                            }}>{ "Delete workspace" }</button>
                            <button type="button" class="secondary" onclick={{ let c = confirm_delete.clone(); Callback::from(move |_| c.set(None)) }}>{ "Keep it" }</button>
                        </div>
                    </div>
                </div>
            }
        </div>
    }
}
