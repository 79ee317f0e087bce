//! Themes, colour depth and NO_COLOR: snapshots of the real render (as SVG,
//! so colours are in the snapshot) for each theme at 80x24 and without
//! colour; the 256- and 16-colour mapping; a bad theme file names its line.

mod common;

use common::*;
use cordon::ui::Theme;
use cordon::ui::colors::{ColorMode, to_16, to_256};
use ratatui::style::{Color, Modifier};

fn themed(name: &str, mode: ColorMode) -> ratatui::buffer::Buffer {
    let mut a = app_with(&["wrong-segment", "retry-loop"], false, 20);
    let mut t = Theme::load(name).unwrap();
    t.mode = mode;
    render_themed(&mut a, &t, 80, 24).backend().buffer().clone()
}

#[test]
fn each_theme_at_80x24() {
    for name in ["dark", "light", "high-contrast", "colorblind"] {
        let svg = cordon::ui::svg::render(&themed(name, ColorMode::TrueColor));
        insta::assert_snapshot!(format!("theme_{name}"), svg);
    }
}

#[test]
fn no_color_keeps_meaning_in_symbols_badges_and_reverse_video() {
    let buf = themed("dark", ColorMode::NoColor);
    let mut badges = 0;
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            assert_eq!(
                (c.fg, c.bg),
                (Color::Reset, Color::Reset),
                "no colour at {x},{y}"
            );
            if c.modifier.contains(Modifier::REVERSED) {
                badges += 1;
            }
        }
    }
    assert!(
        badges > 0,
        "the header, selection and OUT/IRREV badges stand out in reverse video"
    );
    let text: String = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect();
    assert!(
        text.contains("OUT IRREV"),
        "the badges are words, not just colour"
    );
    insta::assert_snapshot!("no_color", cordon::ui::svg::render(&buf));
}

#[test]
fn no_color_is_detected_from_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string())
    };
    assert_eq!(
        ColorMode::detect(env(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")])),
        ColorMode::NoColor
    );
    assert_eq!(
        ColorMode::detect(env(&[("COLORTERM", "truecolor"), ("TERM", "xterm")])),
        ColorMode::TrueColor
    );
    assert_eq!(
        ColorMode::detect(env(&[("COLORTERM", "24bit")])),
        ColorMode::TrueColor
    );
    assert_eq!(
        ColorMode::detect(env(&[("TERM", "xterm-256color")])),
        ColorMode::Ansi256
    );
    assert_eq!(
        ColorMode::detect(env(&[("TERM", "tmux-256color")])),
        ColorMode::Ansi256
    );
    assert_eq!(
        ColorMode::detect(env(&[("TERM", "xterm")])),
        ColorMode::Ansi16
    );
    assert_eq!(
        ColorMode::detect(env(&[("NO_COLOR", "")])),
        ColorMode::Ansi16,
        "an empty NO_COLOR does not count"
    );
}

#[test]
fn rgb_maps_to_256_and_16() {
    assert_eq!(to_256(0, 0, 0), 16);
    assert_eq!(to_256(255, 255, 255), 231);
    assert_eq!(to_256(255, 0, 0), 196);
    assert_eq!(
        to_256(0x28, 0x34, 0x48),
        237,
        "the selection background: a dark grey-blue lands on the grey ramp"
    );
    assert_eq!(to_256(128, 128, 128), 244);
    assert_eq!(to_16(250, 10, 10), Color::LightRed);
    assert_eq!(to_16(0, 0, 0), Color::Black);
    assert_eq!(to_16(0xe6, 0x9f, 0x00), Color::Yellow);
    // A frame in 256 colours has no RGB left; in 16, no index above 15.
    for (mode, ok) in [(ColorMode::Ansi256, 256u16), (ColorMode::Ansi16, 16)] {
        let buf = themed("colorblind", mode);
        for c in buf.content() {
            for col in [c.fg, c.bg] {
                assert!(!matches!(col, Color::Rgb(..)), "{mode:?}: {col:?}");
                if let Color::Indexed(i) = col {
                    assert!((i as u16) < ok, "{mode:?}: {i}");
                }
            }
        }
    }
}

#[test]
fn a_theme_file_overrides_only_what_it_names_and_bad_ones_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("mine.toml");
    std::fs::write(
        &f,
        "# mine\n[styles]\ndanger = \"magenta bold\"\n\n[kinds]\nerror = \"#ff00ff\"\n",
    )
    .unwrap();
    let t = Theme::load(f.to_str().unwrap()).unwrap();
    let dark = Theme::default();
    assert_eq!(t.danger.fg, Some(Color::Magenta));
    assert_eq!(t.ok, dark.ok, "unnamed styles stay");
    assert_eq!(t.kinds.get("error"), Some(&Color::Rgb(255, 0, 255)));
    for (text, want) in [
        (
            "[styles]\nok = \"green\"\nnope = \"red\"\n",
            "line 3: unknown style 'nope'",
        ),
        (
            "[styles]\n\nwarn = \"yelow\"\n",
            "line 3: warn: unknown colour or modifier 'yelow'",
        ),
        (
            "[colours]\nx = \"red\"\n",
            "line 1: unknown section [colours]",
        ),
        ("[styles]\nok = \n", "line 2"),
    ] {
        std::fs::write(&f, text).unwrap();
        let e = Theme::load(f.to_str().unwrap()).unwrap_err();
        assert!(e.contains(want) && e.contains("mine.toml"), "{e}");
    }
}

#[test]
fn palette_switches_theme_with_completion() {
    use ratatui::crossterm::event::KeyCode;
    let mut a = app_with(&["wrong-segment"], false, 5);
    a.update(ch(':'));
    keys(&mut a, "theme hi");
    a.update(key(KeyCode::Tab));
    let cordon::app::Mode::Palette(p) = &a.mode else {
        panic!()
    };
    assert_eq!(p.text, "theme high-contrast ");
    let fx = a.update(key(KeyCode::Enter));
    assert!(
        fx.contains(&cordon::app::Effect::Theme("high-contrast".into())),
        "{fx:?}"
    );
}

#[test]
fn z_zooms_the_focused_pane() {
    use cordon::app::Pane;
    let mut a = app_with(&["all"], false, 20);
    a.update(ch('2'));
    let normal = a.list_height(Pane::Timeline);
    a.update(ch('z'));
    assert!(a.zoom);
    assert!(a.list_height(Pane::Timeline) > normal);
    let s = screen(&mut a, 80, 24);
    assert!(
        s.lines().nth(1).unwrap().contains("Timeline"),
        "the timeline fills the screen:\n{s}"
    );
    insta::assert_snapshot!("zoomed_timeline_80x24", s);
    a.update(ch('z'));
    assert!(!a.zoom);
}

#[test]
fn a_theme_that_does_not_load_goes_back_to_the_palette_with_why() {
    use ratatui::crossterm::event::KeyCode;
    let mut a = app_with(&["wrong-segment"], false, 5);
    a.update(ch(':'));
    keys(&mut a, "theme /nonexistent/mine.toml");
    let fx = a.update(key(KeyCode::Enter));
    assert!(
        fx.contains(&cordon::app::Effect::Theme("/nonexistent/mine.toml".into())),
        "the app reads no file: {fx:?}"
    );
    assert_eq!(a.mode, cordon::app::Mode::Normal);
    let why = Theme::load("/nonexistent/mine.toml").unwrap_err();
    a.update(cordon::app::Msg::ThemeFailed(why.clone()));
    let cordon::app::Mode::Palette(p) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert_eq!(p.text, "theme /nonexistent/mine.toml");
    assert_eq!(p.error.as_deref(), Some(why.as_str()));
}

#[test]
fn switching_theme_keeps_the_colour_depth() {
    let mut t = Theme::load("dark").unwrap();
    t.mode = ColorMode::NoColor;
    t.switch("light").unwrap();
    assert_eq!((t.name.as_str(), t.mode), ("light", ColorMode::NoColor));
    let e = t.switch("/nonexistent/mine.toml").unwrap_err();
    assert!(e.contains("builtin themes"), "{e}");
    assert_eq!(
        t.name, "light",
        "a theme that does not load changes nothing"
    );
}
