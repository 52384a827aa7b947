//! One question of a form: a line of text or a choice from a list, with the error its current
//! answer has (recomputed by the form's validation after every change).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::TextArea;

/// One option of a choice field: the value the request takes and what the engineer reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Input {
    /// One line of text, edited with tui-textarea (cursor, Home/End, Ctrl-U ...).
    Text(Box<TextArea<'static>>),
    Choice {
        options: Vec<Choice>,
        selected: usize,
    },
}

#[derive(Clone, Debug)]
pub struct Field {
    /// What the form's validation and request building call it.
    pub key: &'static str,
    pub label: &'static str,
    /// One line under the field while it has focus: what the answer is used for.
    pub help: String,
    pub input: Input,
    pub error: Option<String>,
}

impl Field {
    pub fn text(key: &'static str, label: &'static str, value: &str, help: &str) -> Self {
        let mut area = TextArea::new(vec![value.to_string()]);
        area.move_cursor(tui_textarea::CursorMove::End);
        Field {
            key,
            label,
            help: help.into(),
            input: Input::Text(Box::new(area)),
            error: None,
        }
    }

    pub fn choice(
        key: &'static str,
        label: &'static str,
        options: Vec<Choice>,
        selected: usize,
        help: &str,
    ) -> Self {
        let selected = selected.min(options.len().saturating_sub(1));
        Field {
            key,
            label,
            help: help.into(),
            input: Input::Choice { options, selected },
            error: None,
        }
    }

    /// The answer as the request takes it: the text typed, or the chosen option's value.
    pub fn value(&self) -> String {
        match &self.input {
            Input::Text(area) => area.lines().concat().trim().to_string(),
            Input::Choice { options, selected } => options
                .get(*selected)
                .map(|c| c.value.clone())
                .unwrap_or_default(),
        }
    }

    /// Replaces a choice field's options, keeping the chosen value when it is still offered.
    pub fn set_options(&mut self, new: Vec<Choice>) {
        if let Input::Choice { options, selected } = &mut self.input {
            let keep = options.get(*selected).map(|c| c.value.clone());
            *selected = keep
                .and_then(|v| new.iter().position(|c| c.value == v))
                .unwrap_or(0);
            *options = new;
        }
    }

    /// Applies a key meant for this field; true when the answer changed.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        match &mut self.input {
            Input::Text(area) => {
                let before = area.lines().concat();
                // Ctrl-U as in a shell: everything before the cursor goes (tui-textarea's own
                // Ctrl-U is undo, which surprises anyone who types paths for a living).
                if key.code == KeyCode::Char('u') && key.modifiers.contains(KeyModifiers::CONTROL) {
                    area.delete_line_by_head();
                } else {
                    area.input(key);
                }
                // One line only: a pasted newline must not split the answer.
                if area.lines().len() > 1 {
                    let joined = area.lines().concat();
                    **area = TextArea::new(vec![joined]);
                    area.move_cursor(tui_textarea::CursorMove::End);
                }
                area.lines().concat() != before
            }
            Input::Choice { options, selected } => {
                let last = options.len().saturating_sub(1);
                let next = match key.code {
                    KeyCode::Left | KeyCode::Char('h') => selected.saturating_sub(1),
                    KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => {
                        if *selected >= last { 0 } else { *selected + 1 }
                    }
                    _ => *selected,
                };
                let changed = next != *selected;
                *selected = next;
                changed
            }
        }
    }
}
