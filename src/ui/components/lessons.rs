//! Lessons mode: the list of lessons (opened by the header's Learn button) and the
//! narration panel of the open lesson. Both sit in the page's flow between the timeline
//! bar and the map, so the playground stays visible and usable under them.
//! Invariant: they only draw what they are given (`StepView`, the entries) and emit
//! `Action`s; which step is shown and whether its task is done is the App's
//! (`state::lessons`), detected by the core's `task_done`.

use crate::ui::components::el::AttrText;
use crate::ui::state::lessons::{Recap, StepView};
use crate::ui::state::Action;
use std::rc::Rc;
use yew::prelude::*;

/// One lesson in the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: AttrValue,
    pub title: AttrValue,
    pub summary: AttrValue,
    pub steps: usize,
}

#[derive(Properties, PartialEq)]
pub struct ListProps {
    pub entries: Rc<Vec<Entry>>,
    /// Why a requested lesson did not open (`?lesson=<unknown>`).
    pub error: Option<AttrValue>,
    pub on_action: Callback<Action>,
}

#[function_component(LessonsList)]
pub fn lessons_list(p: &ListProps) -> Html {
    let items = p.entries.iter().map(|e| {
        let id = e.id.to_string();
        let open = p.on_action.reform(move |_: MouseEvent| Action::OpenLesson(id.clone()));
        html! {
            <li key={e.id.to_string()}>
                <button class="lesson-entry" data-testid={format!("lesson-{}", e.id)} onclick={open}>
                    <span class="lesson-title">{ e.title.clone() }</span>
                    <span class="lesson-summary">{ e.summary.clone() }</span>
                    <span class="muted">{ format!("{} steps", e.steps) }</span>
                </button>
            </li>
        }
    });
    let close = p.on_action.reform(|_: MouseEvent| Action::ToggleLessons);
    html! {
        <section class="panel lessons-drawer" data-testid="lessons" aria-label="Lessons">
            <div class="lesson-head">
                <h2>{ "Learn by breaking it" }</h2>
                <button class="ghost" onclick={close} aria-label="Close the lessons list">{ "✕" }</button>
            </div>
            <p class="caption">{ "Each lesson replays a scripted run of this simulation and narrates it a step at a time; some steps ask you to act on the live run (kill a DC, cut a link, read a row) and go on once the simulation shows it done." }</p>
            if let Some(e) = &p.error {
                <p class="note err" role="alert" data-testid="lesson-error">{ e.clone() }</p>
            }
            <ul class="lesson-list plain">{ for items }</ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub step: StepView,
    pub on_action: Callback<Action>,
}

fn recap_view(r: &Recap) -> Html {
    let findings = if r.findings.is_empty() {
        html! { <li>{ "Checker findings: none." }</li> }
    } else {
        let list: Vec<String> = r
            .findings
            .iter()
            .map(|(k, n)| format!("{k} × {n}"))
            .collect();
        html! { <li>{ format!("Checker findings: {} ({} violation(s)).", list.join(", "), r.violations) }</li> }
    };
    html! {
        <div class="lesson-recap" data-testid="lesson-recap" data-violations={r.violations.attr()}
            data-findings={r.findings.iter().map(|(_, n)| n).sum::<u64>().to_string()}
            data-commits={r.commits.attr()} data-aborts={r.aborts.attr()} data-failovers={r.failovers.attr()}>
            <h3>{ "What the checker saw in this run" }</h3>
            <ul>
                { findings }
                <li>{ format!("Transactions: {} committed, {} aborted.", r.commits, r.aborts) }</li>
                <li>{ format!("Failovers: {}.", r.failovers) }</li>
                <li>{ format!("Client operations: {} ok, {} failed; stale reads: {}.", r.ops_ok, r.ops_failed, r.stale_reads) }</li>
            </ul>
        </div>
    }
}

#[function_component(LessonPanel)]
pub fn lesson_panel(p: &PanelProps) -> Html {
    let s = &p.step;
    let act = |a: Action| p.on_action.reform(move |_: MouseEvent| a.clone());
    let task = s.task.as_ref().map(|t| {
        html! {
            <p class={classes!("lesson-task", s.done.then_some("done"))} data-testid="lesson-task" data-done={s.done.attr()}>
                <span class="lesson-task-mark" aria-hidden="true">{ if s.done { "✔" } else { "▶" } }</span>
                { if s.done { format!("Done: {t}") } else { format!("Your turn: {t}") } }
            </p>
        }
    });
    html! {
        <section class="panel lesson-panel" data-testid="lesson" data-lesson={s.id.clone()} aria-label="Lesson">
            <div class="lesson-head">
                <h2>{ s.title.clone() }</h2>
                <button class="ghost" data-testid="lesson-close" onclick={act(Action::LessonClose)}
                    title="Leave lessons mode (Esc); the run goes on" aria-label="Close the lesson">{ "✕" }</button>
            </div>
            if let Some(r) = s.resume {
                <p class="note">
                    { format!("You were at step {} of this lesson. ", r + 1) }
                    <button class="small" data-testid="lesson-resume" data-step={(r + 1).to_string()} onclick={act(Action::LessonResume)}>
                        { format!("Resume at step {}", r + 1) }
                    </button>
                </p>
            }
            <div class="lesson-body" aria-live="polite">
                <p class="lesson-step" data-testid="lesson-step" data-step={(s.index + 1).to_string()} data-of={s.of.attr()}>
                    <span class="lesson-count">{ format!("Step {} of {}", s.index + 1, s.of) }</span>
                    { s.text.clone() }
                </p>
                { for task }
                if let Some(h) = &s.hint {
                    <p class="note lesson-hint" data-testid="lesson-hint">{ format!("Hint: {h}") }</p>
                }
                if let Some(r) = &s.recap { { recap_view(r) } }
            </div>
            <div class="lesson-nav" role="group" aria-label="Lesson steps">
                <button data-testid="lesson-prev" disabled={s.index == 0} onclick={act(Action::LessonPrev)} title="Previous step (←)">{ "← Prev" }</button>
                <button class="primary" data-testid="lesson-next" disabled={!s.can_next} onclick={act(Action::LessonNext)}
                    title={if s.task.is_some() && !s.done { "Do the task first" } else { "Next step (→)" }}>{ "Next →" }</button>
                <button data-testid="lesson-reset" onclick={act(Action::LessonReset)} title="Replay the lesson from its start: same run, step 1">{ "↺ Reset lesson" }</button>
            </div>
        </section>
    }
}
