//! Acceptance tests for issue #3 (mojibake repair).

use super::*;

const SEED_000: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/corpus/000_69e3827c508b06a3.txt"
));
const SEED_001: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/corpus/001_177df1590b2f3725.txt"
));
const SEED_002: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/corpus/002_a46578f8551527d5.txt"
));
const SEED_003: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/corpus/003_c8cacc78d537ad71.txt"
));
/// Written for evaluation, but its errors were studied while the model was
/// built (session 1): a development text, a regression guard here.
const DEV_1: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/dev_dialogue_1.txt"
));
/// Written fresh in session 2 and measured (92.4 %) before anything was
/// changed; its errors have been studied since, so it is a development text
/// too.
const DEV_2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/dev_dialogue_2.txt"
));
/// Written fresh in session 2 by someone who saw neither the code nor the
/// other texts; no statistic or weight has been tuned on it and its errors
/// have not been read. The honest estimate of accuracy on unseen dialogue.
const UNSEEN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/heldout_unseen.txt"
));

fn damaged_seeds() -> [(&'static str, &'static str); 3] {
    [("000", SEED_000), ("002", SEED_002), ("003", SEED_003)]
}

/// Observe the repaired text of the damaged seeds, never the held-out text.
fn repairer_from_damaged_seeds() -> Repairer {
    let base = Repairer::new();
    let mut r = Repairer::new();
    for (_, s) in damaged_seeds() {
        r.observe_clean(&base.repair(s).text);
    }
    r
}

fn eval_one(rep: &Repairer, name: &str, text: &str, model: DamageModel) -> ModelEval {
    let rep = evaluate_with(rep, &[(name.to_string(), text.to_string())], &[model]);
    let m = rep.models.into_iter().next().expect("one model");
    println!(
        "{name:>10} {:<30} damaged {:>5} acc_damaged {:.4} acc_all {:.5} undamaged_changed {} guesses {} low {} {:.1} MB/s",
        m.model, m.damaged_chars, m.accuracy_damaged, m.accuracy_all, m.undamaged_changed, m.guesses,
        m.low_confidence_guesses, m.throughput_mb_s
    );
    m
}

#[test]
fn seeds_model_on_heldout_001() {
    for rep in [Repairer::new(), repairer_from_damaged_seeds()] {
        let m = eval_one(&rep, "001", SEED_001, DamageModel::SEEDS);
        assert!(m.damaged_chars > 20);
        // Issue #3 asks for 0.97. 001 has 49 damaged characters, five of
        // them 😏/😎 (F0 9F 98 8F / 8E, last byte lost), a coin flip that no
        // context resolves; with either prior two are wrong (47/49).
        assert!(m.accuracy_damaged >= 0.95, "{m:?}");
        assert!(m.accuracy_all >= 0.999, "{m:?}");
        assert_eq!(m.undamaged_changed, 0, "{m:?}");
    }
}

#[test]
fn seeds_model_on_dev_dialogue() {
    // Development texts: floors guard against regressions and say nothing
    // about unseen text (see seeds_model_on_unseen_dialogue).
    for (name, text, floor) in [("dev_1", DEV_1, 0.98), ("dev_2", DEV_2, 0.93)] {
        let m = eval_one(&Repairer::new(), name, text, DamageModel::SEEDS);
        assert!(m.accuracy_damaged >= floor, "{m:?}");
        assert_eq!(m.undamaged_changed, 0, "{m:?}");
    }
}

#[test]
fn seeds_model_on_unseen_dialogue() {
    let m = eval_one(&Repairer::new(), "unseen", UNSEEN, DamageModel::SEEDS);
    // Issue #3 asks for 0.97 of damaged and 0.999 of all characters. Measured
    // on this text, never studied: 0.929 (494/532) and 0.991. (Blending
    // jieba's frequencies with subtitle frequencies gave 0.934 here and
    // fewer errors on dev_2, but made the written-register seed 000 worse,
    // 与 and 中 turning into 不, so it was not kept.) The floors below guard
    // the figure; they are not the target.
    assert!(m.damaged_chars > 400, "{m:?}");
    // With libime's word pairs (zh_wordpairs.bin): 0.944 (502/532).
    assert!(m.accuracy_damaged >= 0.94, "{m:?}");
    assert!(m.accuracy_all >= 0.99, "{m:?}");
    // What was not damaged is never changed, which does hold.
    assert_eq!(m.undamaged_changed, 0, "{m:?}");
}

const HELDOUT_ZH_HANT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/heldout_zh_hant.txt"
));
const HELDOUT_JA: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/heldout_ja.txt"));
const HELDOUT_KO: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/heldout_ko.txt"));

#[test]
fn seeds_model_on_unseen_text_per_language() {
    // Written in session 5 by a helper that saw no code; measured, never
    // studied (the dev_* files of each language were). First measurement,
    // with per-language statistics: zh-Hant 0.910, ja 0.987, ko 0.893 (issue
    // #11 asks 0.95, 0.95, 0.90). Before: ~0.62, ~0.88, ~0.04 on the
    // issue's text. Floors guard the figures; they are not the targets.
    // Korean 0.936 since whole-eojeol costs (eojeol.rs) and Mac Roman's
    // pieces of other pages' runs stopped counting as evidence.
    for (name, text, floor) in [
        ("zh-Hant", HELDOUT_ZH_HANT, 0.90),
        ("ja", HELDOUT_JA, 0.98),
        ("ko", HELDOUT_KO, 0.92),
    ] {
        let m = eval_one(&Repairer::new(), name, text, DamageModel::SEEDS);
        assert!(m.damaged_chars > 400, "{m:?}");
        assert!(m.accuracy_damaged >= floor, "{name}: {m:?}");
        // Until a Mac Roman piece stopped taking Korean runs (see
        // `pieces_of_a_run_and_lossy_readings_defer`), 3 undamaged Korean
        // characters changed here.
        assert_eq!(m.undamaged_changed, 0, "{name}: {m:?}");
        let c1 = eval_one(
            &Repairer::new(),
            name,
            text,
            model(CodePage::Windows1254, UndefinedState::C1Control),
        );
        assert_eq!(c1.accuracy_damaged, 1.0, "{name}: {c1:?}");
    }
}

#[test]
fn word_pairs_choose_the_word_that_follows_its_neighbour() {
    // Lost bytes of 双 and 吵 leave alternatives (同, 卵) that character
    // statistics preferred; libime's word pairs know 买双 and 很吵
    // (dev_dialogue_2, lines 74 and 160).
    assert_seeds_damage_restored(&[
        "[A]: 行，那这周三算我一个，我先去买双新球鞋。",
        "[A]: 好的，酒店我订在新宿附近，会不会很吵？",
    ]);
}

#[test]
fn word_pairs_choose_the_word_that_precedes_its_neighbour() {
    // 吃 (E5 90 83) lost its 0x90; `想像` (E5 83 8F lost 0x8F) is a likelier word, but
    // libime's word pairs know 吃 before 麻辣锅 (dev_dialogue_2's `想吃`, in a new sentence).
    assert_seeds_damage_restored(&["好饿，我想吃麻辣锅"]);
}

/// Each line, damaged the seeds' way, is repaired back to itself.
fn assert_seeds_damage_restored(lines: &[&str]) {
    for &line in lines {
        let damaged = damage(line, DamageModel::SEEDS);
        assert_ne!(damaged, line);
        assert_eq!(Repairer::new().repair(&damaged).text, line);
    }
}

#[test]
fn korean_chat_jamo_and_traditional_particles_are_restored() {
    // ㅠ (E3 85 A0) and ㅎ (E3 85 8E, a byte windows-1254 lacks) were left
    // as `ã… ` or read as kana; 嗎 lost to 吗 in traditional text.
    for line in [
        "고마워 ㅠㅠ 출근할 때 맑았는데",
        "진짜 웃기다 ㅎㅎ 내일 봐",
        "그럼 ㅋㅋ 나중에 얘기해",
        "我現在打電話問問看，7點半可以嗎？",
    ] {
        let damaged = damage(line, DamageModel::SEEDS);
        assert_eq!(Repairer::new().repair(&damaged).text, line);
    }
}

#[test]
fn lone_korean_syllables_are_restored_as_whole_words() {
    // A syllable between spaces is a whole eojeol: the interjection 응, the verb form 돼, the
    // adverb 잘, not the adjective stem 작, the ending 라 or the particle 의, which the
    // morpheme statistics rank higher; nor a syllable no dictionary knows (헐, not 큗).
    assert_seeds_damage_restored(&[
        "[A]: 응 알았어 내일 봐",
        "[B]: 안 돼 진짜 못 가",
        "[A]: 너 잘 했어 진짜",
        "[B]: 헐 대박 진짜야?",
    ]);
}

#[test]
fn particles_glued_to_a_word_are_not_words_alone() {
    // A particle follows whatever it attaches to without a space: a Latin word, a quote, a
    // bracket. Counted as standing alone, `의` became `잘` 37 times in ShareGPT's Korean lines.
    assert_seeds_damage_restored(&[
        "API의 장점은 뭐야?",
        "\"사과\"의 뜻을 알려줘",
        "인공지능(AI)의 역할",
    ]);
}

#[test]
fn pieces_of_other_pages_runs_are_no_evidence_for_a_page() {
    // In Korean damaged through windows-1254, Mac Roman reads pieces of the runs whole (`‚´ì`
    // of 내); counted as the document's evidence of Mac Roman, they let its weak runs through:
    // `ã…ã…` (ㅎㅎ, each missing a byte) became `ãɋ…`.
    let doc = "[A]: 내일 저녁에 뭐 해? 같이 밥 먹을래?\n\
               [B]: 좋아 ㅎㅎ 어디서 만날까\n\
               [A]: 회사 앞에 새로 생긴 국수집 어때\n\
               [B]: 거기 맛있대 ㅎㅎ 일곱 시 괜찮아?\n\
               [A]: 응 내가 먼저 가서 자리 잡을게\n\
               [B]: 고마워 내일 봐 ㅎㅎ";
    let damaged = damage(doc, DamageModel::SEEDS);
    assert_eq!(Repairer::new().repair(&damaged).text, doc);
}

/// Each line damaged once through `cp` with every byte kept must come back exactly.
fn assert_lossless_round_restored(cp: CodePage, lines: &[&str]) {
    for &line in lines {
        let damaged = damage(line, model(cp, UndefinedState::C1Control));
        assert_ne!(damaged, line, "{cp:?} leaves {line:?} as it is");
        assert_eq!(
            Repairer::new().repair(&damaged).text,
            line,
            "{cp:?}: {damaged:?}"
        );
    }
}

#[test]
fn one_letter_words_follow_the_words_around_them() {
    // `РІ` (в), `Р·` (з), `Г\u{a0}` (à) and windows-1257's `ÄÆ` (į) are pairs of letters with
    // nothing odd about them, and were left as they were; the word beside each went through the
    // same page.
    assert_lossless_round_restored(
        CodePage::Windows1251,
        &[
            "Привет! Ты завтра свободен? Можем сходить в кино.",
            "Чи підеш ти з нами в п’ятницю на концерт?",
            "Mon frère aîné a déménagé à Besançon l'été dernier.",
        ],
    );
    assert_lossless_round_restored(
        CodePage::Windows1257,
        &["Labas! Ar rytoj eisi į koncertą kartu su mumis?"],
    );
    // A two-letter word written in capitals stays as it is: no run of the page beside it.
    let clean = "Он сказал РІ и ушёл.";
    assert_eq!(Repairer::new().repair(clean).text, clean);
}

#[test]
fn two_guesses_in_a_row_vouch_for_each_other() {
    // Windows-1254 drops a byte of `又` and one of `要`: `又` and `初` then read alike, and the
    // undamaged `周` before them favours `初` (`周初`, early in the week). What says `又` is the
    // word model's pair `又 要`, which joins two guesses, so only the lattice's paths can carry it
    // (it read `这周初要下雨`).
    let clean = "我看这周又要下雨了。";
    let damaged = damage(clean, model(CodePage::Windows1254, UndefinedState::Dropped));
    assert!(damaged.chars().count() < clean.len(), "bytes were dropped");
    assert_eq!(Repairer::new().repair(&damaged).text, clean);
}

#[test]
fn a_pair_seen_inside_repaired_words_is_mojibake_alone_too() {
    // Windows-1251 reads Italian `è` as `ГЁ`, a two-letter Cyrillic word, kept as one even in a
    // text full of windows-1251 runs; the same pair inside `caffГЁ` says it is mojibake. Clean
    // Ukrainian beside it (`Ні`, also a lead and a continuation byte) holds no such pair and stays.
    let italian = "Il caffè è pronto, perché non vieni? Dai, è già tardi.";
    let ukrainian = "Ні, дякую, я вже поїв.";
    let damaged = damage(
        italian,
        model(CodePage::Windows1251, UndefinedState::C1Control),
    );
    let text = format!("{damaged}\n{ukrainian}");
    assert_eq!(
        Repairer::new().repair(&text).text,
        format!("{italian}\n{ukrainian}")
    );
}

#[test]
fn letters_of_every_living_script_are_mojibake_targets() {
    // Vietnamese `ớ` and Armenian letters were scored as unlikely results, so a lossy reading of
    // another page won: `giới` became `gi჻›i`, `ու` became `որ‚`.
    assert_lossless_round_restored(
        CodePage::Windows1252,
        &[
            "Mẹ mình nấu phở ngon nhất thế giới, bạn phải ghé ăn thử một lần.",
            "Շնորհակալություն օգնության համար, դու իսկական ընկեր ես։",
            "გამარჯობა! როგორ ხარ დღეს?",
        ],
    );
}

#[test]
fn two_capitals_then_lower_case_is_no_word() {
    // IBM850's `ÔÇö` (—) standing alone read as a word of three Latin letters.
    assert_lossless_round_restored(
        CodePage::Ibm850,
        &["Don’t forget — the café on the corner closes at six on Sundays."],
    );
}

#[test]
fn box_drawing_and_units_are_no_words() {
    // IBM850's `Ôöé` (│) read as a capitalised word of three letters; a Latin word of accented
    // letters only is none. IBM437's `k╬⌐` is `kΩ`: a Greek letter after a metric prefix is a
    // unit, not a script broken inside a word.
    assert_lossless_round_restored(CodePage::Ibm850, &["│ id  │ név  │", "║ Zoë      ║ 1200 ║"]);
    // Vowels only: a word of accented consonants stays a word (windows-1250 reads `Řľčśż` as
    // `ؾ蜿`; the property test drew it when the rule said "accented letters only").
    for clean in ["Řľčśż", "øÿüÿà", "ÿåÿü", "Žluťoučký kůň", "Ďŕžť"] {
        assert_eq!(Repairer::new().repair(clean).text, clean);
    }
    assert_lossless_round_restored(
        CodePage::Ibm437,
        &["Resistance 4.7 kΩ, capacitance 10 µF, so τ = RC ≈ 47 ms."],
    );
}

#[test]
fn symbols_alone_read_as_a_syllable_or_an_operator_need_the_documents_evidence() {
    // Clean math and box drawing that a page reads as one character: IBM437 `∞┐║` is the bytes
    // of `쿺`, Mac Roman `√∑` those of `÷` (both found by the property test of clean text at
    // 100,000 cases).
    for clean in ["∞┐║", "x ∞┐║ y", "√∑", "a √∑ b", "∑ √∑ ∞"] {
        assert_eq!(Repairer::new().repair(clean).text, clean);
    }
    // In a text that shows the page's mojibake elsewhere they are read: `그` alone is IBM437's
    // `Ω╖╕`, `÷` Mac Roman's `√∑`; prices stay read alone (`¬£175` is `£175`).
    assert_lossless_round_restored(CodePage::Ibm437, &["그 사람이 왔어요, 그 사람 말이야"]);
    assert_lossless_round_restored(
        CodePage::MacRoman,
        &[
            "Crème brûlée ÷ 2 for the café, déjà vu",
            "Tickets were 5×£35, so £175 in total before fees.",
        ],
    );
}

#[test]
fn a_documents_mojibake_vouches_only_for_weak_runs_of_its_own_kind() {
    // Czech through windows-1252 beside clean measurements: the Czech words are strong
    // mojibake, but neither a unit with an exponent after a number (`Å²`, which reads `Ų`) nor
    // symbols between digits that read as a Hebrew letter (`×£`, `ף`) are of that kind.
    // Nor is a lost byte guessed in a script it never produces: Croatian `ć?` is no windows-1257
    // `ã` with `?` for a lost byte (`sinoが`).
    let czech = "ÄŒeÅ¡tina je krÃ¡snÃ¡, ale tÄ›Å¾kÃ¡.";
    let clean = "TPSA: 112 Å², 5×£35 each, 3 m³ of water. Jesi li gledao utakmicu sinoć?";
    let out = Repairer::new().repair(&format!("{czech}\n{clean}\n"));
    assert_eq!(
        out.text,
        format!("Čeština je krásná, ale těžká.\n{clean}\n")
    );
    // Hebrew mojibake elsewhere vouches for the Hebrew letter.
    let hebrew = "×©×œ×•×\u{9d} ×—×‘×¨×™×\u{9d}, ×ž×” ×©×œ×•×ž×›×\u{9d}?";
    let out = Repairer::new().repair(&format!("{hebrew}\nמחיר: 5×£35\n"));
    assert_eq!(out.text, "שלום חברים, מה שלומכם?\nמחיר: 5ף35\n");
    // And the unit itself, when it is the mojibake, still comes back (Mac Roman's `√Ö`).
    assert_lossless_round_restored(CodePage::MacRoman, &["Crème brûlée, déjà vu: TPSA 112 Å²."]);
}

#[test]
fn lone_c1_controls_are_read_as_windows_1252() {
    // Windows-1252 text read as Latin-1: its quotes, apostrophes and dashes become C1 controls.
    let out = Repairer::new()
        .repair("the \u{93}contract attorney\u{94} said it\u{92}s done \u{96} twice\u{85}");
    assert_eq!(out.text, "the “contract attorney” said it’s done – twice…");
    assert!(out.changed);
    assert_eq!(out.runs.len(), 5);
    assert!(out
        .runs
        .iter()
        .all(|r| r.code_page == CodePage::Windows1252));
    // After a run repair in the same text, and not inside a sequence the runs left.
    let out = Repairer::new().repair("cafÃ© \u{93}ok\u{94}");
    assert_eq!(out.text, "café “ok”");
    // Bytes Windows-1252 does not define stay as they are.
    let kept = "a\u{81}b\u{8d}c\u{9d}";
    assert_eq!(Repairer::new().repair(kept).text, kept);
}

#[test]
fn double_encoding_is_judged_by_its_inner_layer() {
    // Windows-1251 twice: `canРІР‚в„ўt` is `canвЂ™t` after one layer, a Cyrillic run breaking
    // a Latin word, and was rejected; what meets the word is the inner layer, `’`.
    // Windows-1250 twice: ISO-8859-2 reads `ÄąÄľ` whole too, as `ıĵ`, and won the tie against
    // windows-1250's `Ĺľ`, which peels again to `ž`; `˝` (the inner layer of `ý`) was no
    // likely result, so `Ëť` was left.
    let twice = |cp| DamageModel {
        code_page: cp,
        undefined: UndefinedState::C1Control,
        rounds: 2,
    };
    for (cp, line) in [
        (CodePage::Windows1251, "Wait… what? That can’t be right."),
        (
            CodePage::Windows1251,
            "Colloquy™ is not a registered® name, © 2024 nobody.",
        ),
        (
            CodePage::Windows1253,
            "See footnote† and the second one‡, § 4 ¶ 2.",
        ),
        (
            CodePage::Windows1250,
            "Kočka zase spí na klávesnici, takže odpovím až později.",
        ),
        (
            CodePage::Windows1250,
            "Ta polévka byla výborná, jen trochu přesolená.",
        ),
        (
            CodePage::Ibm437,
            "Resistance 4.7 kΩ, capacitance 10 µF, so τ = RC ≈ 47 ms.",
        ),
    ] {
        let damaged = damage(line, twice(cp));
        assert_eq!(
            Repairer::new().repair(&damaged).text,
            line,
            "{cp:?}: {damaged:?}"
        );
    }
}

#[test]
fn pages_that_read_a_run_alike_are_told_apart_by_the_whole_word() {
    // Windows-1252 and ISO-8859-15 both read `ÃŸ` and `ÃŠ` as letters (`ß`/`þ`, `Ê`/`æ`); the
    // word `ÃŸaÃ°` holds two runs, and is the known `það` only with both read through
    // ISO-8859-15. Windows-1250 reads windows-1257's `Ć¶` as `ƶ`, a letter no language writes.
    assert_lossless_round_restored(
        CodePage::Iso8859_15,
        &["Takk fyrir síðast, það var æðislega gaman hjá ykkur."],
    );
    assert_lossless_round_restored(
        CodePage::Windows1257,
        &["Könntest du mir bitte die Unterlagen bis Freitag schicken?"],
    );
    // The lexicon's verdict too reads the whole word: `kĂśdĂśs` is the known `ködös` with both of
    // its runs read, `MĂĽnchen` (three capitals, then lower case) is no plain word.
    assert_lossless_round_restored(
        CodePage::Iso8859_2,
        &["Szerintem a vonat késni fog, mert ködös az idő."],
    );
    assert_lossless_round_restored(
        CodePage::Windows1250,
        &["SELECT * FROM kunden WHERE stadt = 'München' AND straße LIKE '%weg%';"],
    );
}

#[test]
fn known_words_are_the_documents_evidence() {
    // One Czech line through windows-1250: each run is one pair of letters (`ÄŚ` → `Č`), weak
    // alone; the ones that make known words (`mĂˇ` → `má`) show the page's mojibake, and the rest
    // follow.
    assert_lossless_round_restored(
        CodePage::Windows1250,
        &["Čeština má sedm pádů a spoustu háčků, ale dá se to naučit."],
    );
}

#[test]
fn pieces_of_a_run_and_lossy_readings_defer() {
    // A Mac Roman reading of the tail of windows-1254 `ë””ì–´` (디어) read
    // `”ì–´` as `ӓЫ` and left `ë”`; a windows-1254 reading of Mac Roman
    // Japanese as lossy sequences outscored the complete one (日が →
    // `ʁó•„Ł各`).
    let korean = [
        "드디어",
        "오 드디어?",
        "디어",
        "드디어 집에 왔어",
        "어디에 가?",
    ];
    for cp in [CodePage::Windows1254, CodePage::Windows1252] {
        for undefined in [UndefinedState::C1Control, UndefinedState::Dropped] {
            for line in korean {
                let damaged = damage(line, model(cp, undefined));
                assert_eq!(
                    Repairer::new().repair(&damaged).text,
                    line,
                    "{cp:?} {undefined:?}"
                );
            }
        }
    }
    for line in ["やった。じゃあ15日がいいかな", "終わるの23時前くらいかな"]
    {
        let damaged = damage(line, model(CodePage::MacRoman, UndefinedState::C1Control));
        assert_eq!(Repairer::new().repair(&damaged).text, line);
    }
}

fn model(cp: CodePage, undefined: UndefinedState) -> DamageModel {
    DamageModel {
        code_page: cp,
        undefined,
        rounds: 1,
    }
}

#[test]
fn c1_controls_are_exact() {
    for cp in [
        CodePage::Windows1254,
        CodePage::Windows1252,
        CodePage::Latin1,
        CodePage::Windows1250,
        CodePage::Windows1251,
    ] {
        for (name, text) in [("001", SEED_001), ("dev_1", DEV_1)] {
            let m = eval_one(
                &Repairer::new(),
                name,
                text,
                model(cp, UndefinedState::C1Control),
            );
            assert_eq!(m.accuracy_all, 1.0, "{m:?}");
        }
    }
}

#[test]
fn replacement_and_question_mark_states() {
    for state in [UndefinedState::Replacement, UndefinedState::QuestionMark] {
        for (name, text) in [("001", SEED_001), ("dev_1", DEV_1)] {
            let m = eval_one(
                &Repairer::new(),
                name,
                text,
                model(CodePage::Windows1254, state),
            );
            // 001: the same 😏/😎 coin flip as in seeds_model_on_heldout_001.
            let floor = if name == "001" { 0.95 } else { 0.97 };
            assert!(m.accuracy_damaged >= floor, "{m:?}");
            assert_eq!(m.undamaged_changed, 0, "{m:?}");
        }
    }
}

#[test]
fn other_code_pages_dropped() {
    for cp in [
        CodePage::Windows1252,
        CodePage::Windows1250,
        CodePage::Windows1251,
        CodePage::MacRoman,
    ] {
        let m = eval_one(
            &Repairer::new(),
            "dev_1",
            DEV_1,
            model(cp, UndefinedState::Dropped),
        );
        assert!(m.accuracy_damaged >= 0.95, "{m:?}");
    }
}

#[test]
fn double_encoding() {
    for state in [UndefinedState::C1Control, UndefinedState::Dropped] {
        let m = eval_one(
            &Repairer::new(),
            "dev_1",
            DEV_1,
            DamageModel {
                code_page: CodePage::Windows1252,
                undefined: state,
                rounds: 2,
            },
        );
        assert!(m.accuracy_all >= 0.95, "{m:?}");
    }
}

/// Strings that look like mojibake to a naive detector but are real text.
const LEGIT: &[&str] = &[
    "café",
    "naïve",
    "Ærø",
    "Øresund",
    "señor",
    "Zürich",
    "façade",
    "İstanbul",
    "ğüşıöç Ağrı Muş",
    "Straße",
    "„Grüße“ aus Köln",
    "“quoted”",
    "‘single’",
    "©2024 Example Ltd.",
    "Â is a letter",
    "São Paulo",
    "x ≤ y ± 2, ∑ ∫ √ ∞",
    "résumé",
    "crème brûlée",
    "Ångström",
    "Dvořák",
    "Łódź",
    "Москва",
    "Київ — столиця",
    "Ελληνικά",
    "The café’s menu",
    "naïve… really",
    "déjà vu",
    "Mötley Crüe",
    "Beyoncé—live",
    "piña colada",
    "Ça va?",
    "Où est-il?",
    "¿Qué pasa?",
    "¡Hola!",
    "œuvre",
    "Æsir",
    "smörgåsbord",
    "Ñandú",
    "El Niño’s",
    "coördinate",
    "Â Ã Ä Å",
    "Ã",
    "À la carte",
    "3×4 = 12",
    "½ cup",
    "50 €",
    "£5",
    "¥100",
    "Ü-Bahn",
    "Fußgänger „Zone“",
    "niño—niña",
    "Éire",
    "ÉCOLE",
    "ÇA",
    "ÑO",
    "¬ not",
    "Ø 12 mm",
    "Ærlig talt",
    "Þór",
    "Ðakovo",
    "İzmir’de",
    "Şişli",
    "ğ",
    "ÖÜ",
    "ıi",
    "You’re “right”…",
    "café?",
    "à?",
    "Renée’s",
    "Zoë’s",
    "é“x”",
    "Ãs",
    "çà",
    "ßö",
    "×½",
    "ÂÂ",
    "ÃÃ",
    "Müller–Lyer",
    "Øà",
    "Ééé",
    "àè“",
    "Привет, как дела?",
    "Сёмга",
    "Ёлка",
    "Їжак",
    "ВІЛ",
    "αβγ",
    "Ωμέγα",
    "你好，世界！",
    "😂❤️👍",
    "中文 English 混合 text",
    "“中文”",
    "価格は¥100",
    "한국어",
];

#[test]
fn legitimate_text_is_a_fixed_point() {
    assert!(LEGIT.len() >= 50);
    let r = Repairer::new();
    let mut bad = Vec::new();
    for s in LEGIT {
        let out = r.repair(s);
        if out.text != *s || out.changed {
            bad.push(format!("{s:?} -> {:?}", out.text));
        }
    }
    assert!(bad.is_empty(), "changed: {bad:#?}");
    let out = r.repair(SEED_001);
    assert_eq!(out.text, SEED_001);
    assert!(!out.changed);
    for text in [DEV_1, DEV_2, UNSEEN] {
        let out = r.repair(text);
        assert_eq!(out.text, text);
        assert!(!out.changed);
    }
}

#[test]
fn damaged_seeds_are_fully_repaired() {
    let r = Repairer::new();
    for (name, s) in damaged_seeds() {
        assert!(looks_damaged(s), "{name}");
        let out = r.repair(s);
        assert!(out.changed, "{name}");
        assert_eq!(
            r.repair(&out.text).text,
            out.text,
            "{name} still has mojibake"
        );
        assert!(!out.text.contains('\u{FFFD}'), "{name}");
        for moji in ["ä¸", "å…", "ï¼", "â€", "Ã", "ğŸ", "è¿"] {
            assert!(!out.text.contains(moji), "{name} contains {moji}");
        }
        assert!(out.text.contains("话题"), "{name}");
        if name != "003" {
            assert!(out.text.contains('不'), "{name}");
        }
        assert!(out.text.contains("Hey，关于'"), "{name}");
        let rep = FileReport::new(name, &out);
        println!("{name}: {rep:?}");
        assert!(rep.guesses > 0 && rep.bytes_restored >= rep.guesses);
        // Every guess points at its own text and remembers the original.
        let chars: Vec<char> = out.text.chars().collect();
        for g in &out.guesses {
            assert_eq!(chars[g.start..g.end], [g.chosen]);
            assert!(!g.original.is_empty());
            assert!(g.confidence > 0.0 && g.confidence <= 1.0 + 1e-9);
        }
        let lines = explain(&out);
        assert!(lines.len() >= out.runs.len());
    }
    let out = r.repair(SEED_000);
    for l in explain(&out).iter().take(12) {
        println!("{l}");
    }
}

#[test]
fn damage_models_are_enumerable() {
    let all = DamageModel::all();
    assert!(all.len() >= 24);
    let names: std::collections::HashSet<String> = all.iter().map(|m| m.name()).collect();
    assert_eq!(names.len(), all.len());
    assert!(names.contains("windows-1254/dropped"));
    assert_eq!(damage("不", DamageModel::SEEDS), "ä¸");
    assert_eq!(damage("后", DamageModel::SEEDS), "å");
}

#[test]
fn clean_text_skips_everything() {
    assert!(!looks_damaged("plain ascii"));
    assert!(!looks_damaged("中文和emoji😂"));
    assert!(!looks_damaged(SEED_001));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// 256 cases on every `cargo test`; `PROPTEST_CASES` asks for more (an
    /// explicit `with_cases` would otherwise override it).
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]
        #[test]
        fn no_panic_and_idempotent(s in any::<String>()) {
            let r = Repairer::new();
            let once = r.repair(&s);
            let twice = r.repair(&once.text);
            prop_assert_eq!(&twice.text, &once.text);
        }

        #[test]
        fn no_panic_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let s = String::from_utf8_lossy(&b);
            let r = Repairer::new();
            let once = r.repair(&s);
            prop_assert_eq!(r.repair(&once.text).text, once.text);
        }

        #[test]
        fn mojibake_like_input_idempotent(s in "[a-zä¸åæçè€™œ…³ï¼Œ¸º½ ?\u{FFFD}\u{81}\u{8d}]{0,40}") {
            let r = Repairer::new();
            let once = r.repair(&s);
            prop_assert_eq!(r.repair(&once.text).text, once.text);
        }

        /// Words of Latin (Latin-1 and Extended-A), Cyrillic and Greek
        /// letters, cased as words are (a capital only first), and runs of
        /// arrows, mathematical operators and box drawing: every code page
        /// reads pairs of them as lead and continuation bytes, and none of
        /// it may change.
        #[test]
        fn clean_words_of_other_scripts_unchanged(
            words in proptest::collection::vec(
                prop_oneof![
                    "[A-Z]?[a-zß-öø-ÿ]{1,10}",
                    "[ĀČĐĚŁŃŘŚŠŤŽ]?[a-zāăąćčďđēėęěğīįıķļľłńņňőœŕřśşšţťūůűųźżž]{1,10}",
                    "[а-яё]{1,10}",
                    "[α-ωά-ώ]{1,10}",
                    "[←-⇿∀-⋿─-╿]{1,4}",
                ],
                1..12,
            )
        ) {
            let s = words.join(" ");
            let r = Repairer::new();
            prop_assert_eq!(r.repair(&s).text, s);
        }

        #[test]
        fn clean_cjk_ascii_unchanged(s in "[\u{4e00}-\u{9fa5}a-zA-Z0-9 ,.!?，。！？😂❤\u{fe0f}]{0,60}") {
            let r = Repairer::new();
            prop_assert_eq!(r.repair(&s).text, s);
        }
    }
}

/// The per-thread cache of candidate lists never carries one model's
/// pruning over to another: each model repairs as it does on a fresh thread.
#[test]
fn pattern_cache_is_per_model() {
    let plain = Repairer::new();
    let learned = repairer_from_damaged_seeds();
    let fresh = |r: &Repairer| {
        let r = r.clone();
        std::thread::spawn(move || r.repair(SEED_000))
            .join()
            .expect("repair thread")
    };
    let (plain_alone, learned_alone) = (fresh(&plain), fresh(&learned));
    for _ in 0..2 {
        assert_eq!(plain.repair(SEED_000), plain_alone);
        assert_eq!(learned.repair(SEED_000), learned_alone);
    }
    // The two models do differ somewhere, or this test would prove nothing.
    assert_ne!(
        plain_alone.guesses, learned_alone.guesses,
        "corpus statistics changed no posterior"
    );
}

/// Found by `cargo fuzz run repair` (inputs in fuzz/regressions/repair/): on these garbage inputs
/// a second repair changed the first one's output (`∢` read back as `â?`, …). Fixed by the
/// plausibility checks (13 of 17) and by letting layers peel for up to `MAX_PASSES` (the rest
/// needed a fourth pass).
#[test]
fn fuzz_findings_repair_is_idempotent_on_garbage() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/repair");
    let rep = Repairer::new();
    let mut failing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("regressions") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let once = rep.repair(&text);
        let twice = rep.repair(&once.text);
        if twice.text != once.text {
            failing.push(format!(
                "{}: {:?} -> {:?}",
                path.display(),
                once.text,
                twice.text
            ));
        }
    }
    assert!(failing.is_empty(), "not idempotent: {failing:?}");
}

/// Clean lines in the languages each added code page serves, most from
/// `tests/fixtures/repair/clean_multilingual.tsv`.
fn page_lines(cp: CodePage) -> &'static [&'static str] {
    match cp {
        CodePage::Windows1257 => &[
            "Ačiū už pagalbą, be tavęs nebūčiau suspėjęs laiku.",
            "Šiandien labai šalta, todėl užsidėk šiltą kepurę.",
            "Įdomu, kodėl traukinys vėl vėluoja beveik valandą.",
            "Paldies par dāvanu, man ļoti patika grāmata.",
            "Ķiršu kūka bija tik garšīga, ka apēdām visu uzreiz.",
            "Ņem līdzi lietussargu, jo laika prognoze ir drūma.",
        ],
        CodePage::Iso8859_2 => &[
            "Příští týden máme poradu ve čtvrtek, ne ve středu.",
            "Říkal jsem ti, že ďábel se skrývá v detailech, a měl jsem pravdu.",
            "Zażółć gęślą jaźń — to zdanie ma wszystkie polskie litery.",
            "Źrebię biegało po łące, a źdźbła trawy lśniły od rosy.",
            "Árvíztűrő tükörfúrógép — ezzel szoktuk tesztelni az ékezeteket.",
            "Őszintén szólva nem értem, miért kell ezt ötször újraírni.",
        ],
        CodePage::Windows1253 => &[
            "Γεια σου! Θέλεις να πάμε για καφέ το απόγευμα;",
            "Ευχαριστώ πολύ για τη βοήθεια, είσαι φοβερός.",
            "Αύριο θα πάμε στην παραλία αν κάνει καλό καιρό.",
            "Η γιαγιά μου φτιάχνει την καλύτερη σπανακόπιτα.",
            "Συγγνώμη που άργησα, το μετρό είχε καθυστέρηση.",
            "Ξέρεις τι ώρα κλείνει το φαρμακείο; Χρειάζομαι ασπιρίνη.",
        ],
        CodePage::Iso8859_15 => &[
            "Désolé pour le retard, le métro était complètement bloqué.",
            "Ça coûte 20 € : un œuf, du bœuf et une bière, s'il te plaît.",
            "Tänään on niin kylmä, että järvi on jäätynyt kokonaan.",
            "Šokolaadikook sai küll natuke kõrbenud, aga maitses hästi.",
            "Aitäh abi eest, ilma sinuta oleksin hätta jäänud.",
            "Žanr on uus, aga Šveitsi šokolaad maksab 5 € ja ŸVES on nimi.",
        ],
        CodePage::MacCyrillic => &[
            "Привет! Ты завтра свободен? Можем сходить в кино.",
            "Спасибо большое за помощь, без тебя я бы не справился.",
            "Сьогодні в Києві йде сніг, і всі дороги замело.",
            "Чи підеш ти з нами в п’ятницю на концерт?",
            "Здравей! Ще дойдеш ли утре на рождения ми ден?",
            "Благодаря ти много, че ми помогна с преместването.",
        ],
        CodePage::Ibm437 | CodePage::Ibm850 => &[
            "Désolé pour le retard, le métro était complètement bloqué.",
            "Mon frère aîné a déménagé à Besançon l'été dernier.",
            "Hallo! Hast du morgen Zeit für einen Kaffee in der Stadt?",
            "Grüße aus Köln, die Straße ist schön und ruhig.",
            "La cigüeña anidó otra vez en el campanario de la iglesia.",
            "Não sei se vou conseguir chegar a tempo, o trânsito está péssimo.",
        ],
        _ => &[
            "Привет! Ты завтра свободен? Можем сходить в кино.",
            "Спасибо большое за помощь, без тебя я бы не справился.",
            "Мама испекла пирожки с капустой, приходи в гости.",
            "Извини, что так поздно отвечаю, весь день был на работе.",
            "Съешь же ещё этих мягких французских булок, да выпей чаю.",
            "Всё хорошо, ВСЁ РАБОТАЕТ — ёжик уже дома.",
        ],
    }
}

/// One round (bytes kept) and two rounds of damage through `cp` of every
/// line of `page_lines(cp)` are repaired exactly, except `known_misses`
/// (clean lines), which must still miss so that a fix shows here.
fn assert_page_round_trips(cp: CodePage, known_misses: &[&str]) {
    let r = Repairer::new();
    let mut wrong = Vec::new();
    let mut restored = 0;
    for rounds in [1u8, 2] {
        let m = DamageModel {
            code_page: cp,
            undefined: UndefinedState::C1Control,
            rounds,
        };
        for &line in page_lines(cp) {
            let damaged = damage(line, m);
            assert_ne!(damaged, line, "{m}");
            let got = r.repair(&damaged).text;
            restored += usize::from(got == line);
            if (got == line) == known_misses.contains(&line) {
                wrong.push(format!("{m}: {damaged} → {got}"));
            }
        }
    }
    let n = 2 * page_lines(cp).len();
    println!("{:<14} {restored}/{n} lines restored", cp.name());
    assert!(wrong.is_empty(), "unexpected:\n{}", wrong.join("\n"));
}

#[test]
fn iso8859_2_round_trips() {
    // `é` and `ö` (C3 A9, C3 B6) read `ĂŠ` and `Ăś` here and `Ê`, `Ü` through
    // windows-1250, which wins ties by its place in `CodePage::ALL`; the
    // Hungarian line follows ISO-8859-2 since `miÊrt` breaks its word
    // (`prefer_fitting_pages`).
    assert_page_round_trips(CodePage::Iso8859_2, &[]);
}

#[test]
fn windows1257_round_trips() {
    // `č` (C4 8D) reads `Ä¨` here and `Ĩ` through windows-1254/1252, which
    // win ties by their place; `nebūĨiau` breaks its word, so the line
    // follows windows-1257.
    assert_page_round_trips(CodePage::Windows1257, &[]);
}

#[test]
fn koi8r_round_trips() {
    assert_page_round_trips(CodePage::Koi8R, &[]);
}

#[test]
fn windows1253_round_trips() {
    assert_page_round_trips(CodePage::Windows1253, &[]);
}

#[test]
fn iso8859_15_round_trips() {
    assert_page_round_trips(CodePage::Iso8859_15, &[]);
}

#[test]
fn mac_cyrillic_round_trips() {
    assert_page_round_trips(CodePage::MacCyrillic, &[]);
}

#[test]
fn ibm437_round_trips() {
    assert_page_round_trips(CodePage::Ibm437, &[]);
}

#[test]
fn ibm850_round_trips() {
    assert_page_round_trips(CodePage::Ibm850, &[]);
}

/// Real pile-ups mix pages in one text: runs that went through one page and
/// runs that went through another are each repaired through their own.
#[test]
fn mixtures_of_two_pages_are_repaired() {
    let pairs = [
        (
            CodePage::Windows1252,
            "Désolé, je suis en retard.",
            CodePage::Windows1251,
            "Спасибо большое за помощь!",
        ),
        (
            CodePage::Windows1254,
            "Müller sagt, die Straße ist gesperrt.",
            CodePage::MacRoman,
            "Ça va très bien, merci.",
        ),
        (
            CodePage::Ibm437,
            "Le métro était complètement bloqué.",
            CodePage::Koi8R,
            "Привет! Ты завтра свободен?",
        ),
        (
            CodePage::Windows1253,
            "Ευχαριστώ πολύ για τη βοήθεια.",
            CodePage::Windows1252,
            "Grüße aus Köln, schön!",
        ),
        (
            CodePage::MacCyrillic,
            "Здравей! Ще дойдеш ли утре?",
            CodePage::Latin1,
            "Où est la gare, s'il vous plaît?",
        ),
    ];
    let r = Repairer::new();
    let mut wrong = Vec::new();
    for (a, la, b, lb) in pairs {
        let clean = format!("{la} {lb}");
        let damaged = format!(
            "{} {}",
            damage(la, model(a, UndefinedState::C1Control)),
            damage(lb, model(b, UndefinedState::C1Control))
        );
        let got = r.repair(&damaged).text;
        if got != clean {
            wrong.push(format!("{} + {}: {damaged} → {got}", a.name(), b.name()));
        }
    }
    assert!(wrong.is_empty(), "not repaired:\n{}", wrong.join("\n"));
}

/// `DamageModel::all` covers every page, each in the four states of its
/// undefined bytes (one state where a page defines every byte).
#[test]
fn damage_models_cover_every_page() {
    let all = DamageModel::all();
    for cp in CodePage::ALL {
        let states = all
            .iter()
            .filter(|m| m.code_page == cp && m.rounds == 1)
            .count();
        let want = if cp.table().undefined_list.is_empty() {
            1
        } else {
            4
        };
        assert_eq!(states, want, "{}", cp.name());
    }
    for cp in [CodePage::Windows1253, CodePage::Iso8859_15] {
        assert!(!cp.table().undefined_list.is_empty(), "{}", cp.name());
    }
}

/// Development aid, not a check: `MISSES=path cargo test --release --lib
/// repair::tests::print_misses -- --ignored --nocapture` prints every line
/// of a clean text that the seeds' damage model and repair did not give
/// back, as clean / repaired pairs.
#[test]
#[ignore]
fn print_misses() {
    let Ok(path) = std::env::var("MISSES") else {
        return;
    };
    let text = std::fs::read_to_string(path).expect("readable text");
    let rep = Repairer::new();
    let (mut lines, mut wrong) = (0, 0);
    for line in text.lines() {
        let damaged = damage(line, DamageModel::SEEDS);
        let repaired = rep.repair(&damaged).text;
        lines += 1;
        if repaired != line {
            wrong += 1;
            let diff: Vec<String> = line
                .chars()
                .zip(repaired.chars())
                .filter(|(a, b)| a != b)
                .map(|(a, b)| format!("{a}→{b}"))
                .collect();
            println!("- {line}\n+ {repaired}\n  {}", diff.join(" "));
        }
    }
    println!("{wrong} of {lines} lines differ");
    eval_one(&rep, "misses", &text, DamageModel::SEEDS);
}

/// `MISSES=path cargo test --release --lib repair::tests::print_page_misses
/// -- --ignored --nocapture` measures a clean text damaged once under every
/// code page, with undefined bytes dropped and kept as C1 controls.
#[test]
#[ignore]
fn print_page_misses() {
    let Ok(path) = std::env::var("MISSES") else {
        return;
    };
    let text = std::fs::read_to_string(path).expect("readable text");
    let rep = Repairer::new();
    for m in DamageModel::all().into_iter().filter(|m| {
        m.rounds == 1
            && matches!(
                m.undefined,
                UndefinedState::Dropped | UndefinedState::C1Control
            )
    }) {
        {
            let (cp, undefined) = (m.code_page, m.undefined);
            let show = std::env::var("PAGE").is_ok_and(|p| p == m.name() || p == "all");
            let wrong = text
                .lines()
                .filter(|l| {
                    let r = rep.repair(&damage(l, m)).text;
                    if show && r != *l {
                        println!("- {l}\n+ {r}");
                    }
                    r != *l
                })
                .count();
            println!("{:?} {:?}: {wrong} lines differ", cp, undefined);
            eval_one(&rep, "pages", &text, m);
        }
    }
}

/// The judging shortcut of `select_clusters` (clusters inside a better run of an earlier page go
/// unjudged) chooses the runs that judging every cluster chooses, without falling back, on the
/// damaged seeds and the development texts damaged the seeds' way.
#[test]
fn skipping_outscored_clusters_chooses_what_judging_all_does() {
    let damaged_dev = damage::damage(DEV_1, DamageModel::SEEDS);
    for (name, text) in [
        ("000", SEED_000),
        ("002", SEED_002),
        ("003", SEED_003),
        ("dev 1", damaged_dev.as_str()),
    ] {
        let chars: Vec<char> = text.chars().collect();
        let scan = detect::Scan::new(&chars);
        let runs = |sel: &Selection| -> Vec<(usize, usize, CodePage)> {
            sel.clusters
                .iter()
                .map(|c| (c.start, c.end, c.cp))
                .collect()
        };
        let fast = select_with(&chars, &scan, true);
        let full = select_with(&chars, &scan, false).expect("judging all never falls back");
        let fast = fast.unwrap_or_else(|| panic!("{name}: the shortcut fell back"));
        assert!(runs(&full).len() > 30, "{name}");
        assert_eq!(runs(&fast), runs(&full), "{name}");
    }
}

/// A lost byte is completed with a soft hyphen (0xAD, which pipelines strip as invisible) only
/// where the text does not show its soft hyphens kept: `ä¸` is 中 with its 0xAD stripped, or
/// 不 with its undefined 0x8D dropped.
#[test]
fn soft_hyphens_the_text_kept_are_not_taken_for_lost_bytes() {
    let clean = "[B]: 你就把思路说出来，哪怕答案不完美，面试官更看重你怎么分析问题\n\
                 [A]: 中文和中国的面试都一样\n";
    let damaged = damage::damage(clean, DamageModel::SEEDS);
    // 中文和中国: two whole sequences with their soft hyphen.
    assert_eq!(damaged.matches("ä¸\u{AD}").count(), 2);
    assert_eq!(Repairer::new().repair(&damaged).text, clean);
    // The seeds' pipeline stripped every soft hyphen: 中 must still come back.
    let stripped = damaged.replace('\u{AD}', "");
    let repaired = Repairer::new().repair(&stripped).text;
    assert!(
        repaired.contains("[A]: 中文和中国的面试都一样"),
        "{repaired}"
    );
}
