//! `word/styles.xml`: Word's built-in styles (Heading 1–6 with outline
//! levels, so the navigation pane and TOC work; Quote, Caption, List
//! Paragraph, TOC 1–6, footnotes, header, footer, Hyperlink), plus a code
//! style, all from the theme.

use std::fmt::Write as _;

use kiln_plugin_sdk::document::{Document, Theme};
use kiln_plugin_sdk::ooxml::escape;

/// The fonts for East Asian text when the document does not name one.
fn east_asian_font(language: &str) -> &'static str {
    let l = language.to_ascii_lowercase();
    if l.starts_with("ja") {
        "Yu Gothic"
    } else if l.starts_with("ko") {
        "Malgun Gothic"
    } else if l.starts_with("zh-tw") || l.starts_with("zh-hk") || l.starts_with("zh-hant") {
        "Microsoft JhengHei"
    } else {
        "Microsoft YaHei"
    }
}

fn is_rtl_language(l: &str) -> bool {
    let l = l.to_ascii_lowercase();
    ["ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "dv"]
        .iter()
        .any(|p| l == *p || l.starts_with(&format!("{p}-")))
}

fn is_east_asian_language(l: &str) -> bool {
    let l = l.to_ascii_lowercase();
    ["zh", "ja", "ko"].iter().any(|p| l == *p || l.starts_with(&format!("{p}-")))
}

fn fonts(latin: &str, east_asian: &str, complex: &str) -> String {
    format!(
        r#"<w:rFonts w:ascii="{l}" w:hAnsi="{l}" w:eastAsia="{e}" w:cs="{c}"/>"#,
        l = escape(latin),
        e = escape(east_asian),
        c = escape(complex)
    )
}

/// Half-points of a size in points.
fn half(points: f32) -> u32 {
    (points * 2.0).round().clamp(2.0, 3276.0) as u32
}

pub(crate) fn xml(doc: &Document) -> String {
    let t: &Theme = &doc.theme;
    let language = doc.language();
    let east_font = t
        .body_font
        .as_deref()
        .filter(|_| is_east_asian_language(language))
        .unwrap_or_else(|| east_asian_font(language));
    // Complex scripts (Arabic, Hebrew, ...) use the body font when the
    // document is in such a language, else Arial, which covers both.
    let cs_font = if is_rtl_language(language) { t.body_font() } else { "Arial" };
    let east_lang = if is_east_asian_language(language) { language } else { "zh-CN" };
    let bidi_lang = if is_rtl_language(language) { language } else { "ar-SA" };
    let size = half(t.font_size());
    let body = fonts(t.body_font(), east_font, cs_font);
    let heading = fonts(t.heading_font(), east_font, cs_font);
    let mono = fonts(t.mono_font(), t.mono_font(), t.mono_font());
    let text_color = t.text_color().hex();
    let heading_color = t.heading_color().hex();
    let accent = t.accent_color().hex();
    let link = t.link_color().hex();

    let mut x = String::from(kiln_plugin_sdk::ooxml::XML_DECLARATION);
    x.push_str(
        r#"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#,
    );
    let _ = write!(
        x,
        r#"<w:docDefaults><w:rPrDefault><w:rPr>{body}<w:color w:val="{text_color}"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/><w:lang w:val="{lang}" w:eastAsia="{east_lang}" w:bidi="{bidi_lang}"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>"#,
        lang = escape(language),
        east_lang = escape(east_lang),
        bidi_lang = escape(bidi_lang),
    );
    x.push_str(r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>"#);
    x.push_str(r#"<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>"#);
    x.push_str(r#"<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>"#);
    x.push_str(r#"<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>"#);
    for level in 1..=6u8 {
        let before = [360, 280, 240, 200, 160, 160][level as usize - 1];
        let italic = if level >= 5 { "<w:i/><w:iCs/>" } else { "" };
        let hsize = half(t.heading_size(level));
        let _ = write!(
            x,
            r#"<w:style w:type="paragraph" w:styleId="Heading{level}"><w:name w:val="heading {level}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="{before}" w:after="80"/><w:outlineLvl w:val="{ol}"/></w:pPr><w:rPr>{heading}<w:b/><w:bCs/>{italic}<w:color w:val="{heading_color}"/><w:sz w:val="{hsize}"/><w:szCs w:val="{hsize}"/></w:rPr></w:style>"#,
            ol = level - 1
        );
    }
    let small = half(t.font_size() * 0.85);
    let code_size = half(t.font_size() * 0.9);
    let _ = write!(
        x,
        concat!(
            r#"<w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="29"/><w:qFormat/><w:pPr><w:pBdr><w:left w:val="single" w:sz="18" w:space="8" w:color="{accent}"/></w:pBdr><w:spacing w:before="120" w:after="120"/><w:ind w:left="567" w:right="567"/></w:pPr><w:rPr><w:i/><w:iCs/><w:color w:val="404040"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="CodeBlock"><w:name w:val="Code Block"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="39"/><w:qFormat/><w:pPr><w:keepLines/><w:pBdr><w:top w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/><w:left w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/><w:bottom w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/><w:right w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/></w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="F5F5F5"/><w:spacing w:before="120" w:after="120" w:line="240" w:lineRule="auto"/><w:ind w:left="113" w:right="113"/></w:pPr><w:rPr>{mono}<w:noProof/><w:sz w:val="{code_size}"/><w:szCs w:val="{code_size}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="character" w:styleId="InlineCode"><w:name w:val="Inline Code"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="39"/><w:qFormat/><w:rPr>{mono}<w:noProof/><w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/></w:rPr></w:style>"#,
            r#"<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr><w:color w:val="{link}"/><w:u w:val="single"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="34"/><w:qFormat/><w:pPr><w:spacing w:after="60"/><w:ind w:left="720"/><w:contextualSpacing/></w:pPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="Caption"><w:name w:val="caption"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="35"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:spacing w:after="200"/></w:pPr><w:rPr><w:i/><w:iCs/><w:color w:val="{heading_color}"/><w:sz w:val="{small}"/><w:szCs w:val="{small}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="39"/><w:pPr><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/></w:pPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="FootnoteText"><w:name w:val="footnote text"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:sz w:val="{small}"/><w:szCs w:val="{small}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="character" w:styleId="FootnoteReference"><w:name w:val="footnote reference"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val="center" w:pos="4513"/><w:tab w:val="right" w:pos="9026"/></w:tabs><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:color w:val="595959"/><w:sz w:val="{small}"/><w:szCs w:val="{small}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val="center" w:pos="4513"/><w:tab w:val="right" w:pos="9026"/></w:tabs><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:color w:val="595959"/><w:sz w:val="{small}"/><w:szCs w:val="{small}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="TOCHeading"><w:name w:val="TOC Heading"/><w:basedOn w:val="Heading1"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>"#,
        ),
        accent = accent,
        mono = mono,
        code_size = code_size,
        link = link,
        heading_color = heading_color,
        small = small,
    );
    for level in 1..=6u32 {
        let _ = write!(
            x,
            r#"<w:style w:type="paragraph" w:styleId="TOC{level}"><w:name w:val="toc {level}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/><w:pPr><w:spacing w:after="60"/><w:ind w:left="{ind}"/></w:pPr></w:style>"#,
            ind = (level - 1) * 220
        );
    }
    x.push_str("</w:styles>");
    x
}
