//! The k9s-style command palette: `:` opens it, typing filters, Enter opens the procedure.

use crossterm::event::{KeyCode, KeyEvent};

use super::entry::Entry;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Palette {
    pub query: String,
    pub selected: usize,
}

/// What a key did to the palette.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaletteEvent {
    Typing,
    Open(Entry),
    Close,
}

impl Palette {
    pub fn matches(&self) -> Vec<Entry> {
        Entry::ALL
            .into_iter()
            .filter(|e| e.matches(&self.query))
            .collect()
    }

    pub fn on_key(&mut self, key: KeyEvent) -> PaletteEvent {
        let matches = self.matches();
        match key.code {
            KeyCode::Esc => return PaletteEvent::Close,
            KeyCode::Enter => {
                return match matches.get(self.selected) {
                    Some(entry) => PaletteEvent::Open(*entry),
                    None => PaletteEvent::Typing,
                };
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Tab => {
                self.selected = (self.selected + 1).min(matches.len().saturating_sub(1));
            }
            KeyCode::Backspace => {
                if self.query.pop().is_none() {
                    return PaletteEvent::Close;
                }
                self.selected = 0;
            }
            KeyCode::Char(c) => {
                self.query.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        PaletteEvent::Typing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn press(palette: &mut Palette, code: KeyCode) -> PaletteEvent {
        palette.on_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn typing_filters_and_enter_opens_the_first_match() {
        let mut palette = Palette::default();
        for c in "rep".chars() {
            assert_eq!(press(&mut palette, KeyCode::Char(c)), PaletteEvent::Typing);
        }
        assert_eq!(palette.matches(), vec![Entry::ReplaceMember]);
        assert_eq!(
            press(&mut palette, KeyCode::Enter),
            PaletteEvent::Open(Entry::ReplaceMember)
        );
    }

    #[test]
    fn arrows_choose_among_matches_and_backspace_on_empty_closes() {
        let mut palette = Palette::default();
        for c in "member".chars() {
            press(&mut palette, KeyCode::Char(c));
        }
        press(&mut palette, KeyCode::Down);
        assert_eq!(
            press(&mut palette, KeyCode::Enter),
            PaletteEvent::Open(Entry::JoinMember)
        );
        let mut empty = Palette::default();
        assert_eq!(press(&mut empty, KeyCode::Backspace), PaletteEvent::Close);
        assert_eq!(press(&mut empty, KeyCode::Char('z')), PaletteEvent::Typing);
        assert_eq!(press(&mut empty, KeyCode::Enter), PaletteEvent::Typing);
    }
}
