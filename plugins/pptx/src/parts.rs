//! The deck's fixed parts: content types, relationships, presentation,
//! theme, slide master and layouts, notes master, document properties.

use crate::deck::{self, Deck, INDENT};
use crate::geometry::{Geometry, Rect};
use crate::spec::{AspectRatio, Layout, Presentation};
use kiln_plugin_sdk::ooxml::Relationship;

use crate::xml::{DECL, NS_P, escape, push_escaped};

const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A part's relationships, numbered `rId1`, `rId2`, ... in insertion order.
#[derive(Debug, Default)]
pub(crate) struct Rels {
    entries: Vec<(String, String, bool)>,
}

impl Rels {
    /// Adds an internal relationship of an officeDocument type (e.g.
    /// `slideLayout`); returns its id.
    pub(crate) fn add(&mut self, kind: &str, target: &str) -> String {
        self.entries.push((format!("{REL_NS}/{kind}"), target.to_string(), false));
        format!("rId{}", self.entries.len())
    }

    /// Adds an external relationship (a hyperlink), reusing one with the same
    /// target.
    pub(crate) fn add_external(&mut self, kind: &str, target: &str) -> String {
        let ty = format!("{REL_NS}/{kind}");
        if let Some(i) =
            self.entries.iter().position(|(t, target_, ext)| *ext && *t == ty && target_ == target)
        {
            return format!("rId{}", i + 1);
        }
        self.entries.push((ty, target.to_string(), true));
        format!("rId{}", self.entries.len())
    }

    /// Adds an internal relationship of a full type URI.
    pub(crate) fn add_full(&mut self, ty: &str, target: &str) {
        self.entries.push((ty.to_string(), target.to_string(), false));
    }

    /// The relationships as the SDK's package writer takes them.
    pub(crate) fn to_sdk(&self) -> Vec<Relationship> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, (ty, target, external))| {
                let id = format!("rId{}", i + 1);
                if *external {
                    Relationship::external(id, ty.as_str(), target.as_str())
                } else {
                    Relationship::new(id, ty.as_str(), target.as_str())
                }
            })
            .collect()
    }
}

/// `ppt/presentation.xml` and its relationships.
pub(crate) fn presentation(deck: &Deck<'_>, aspect: AspectRatio) -> (String, Rels) {
    let mut rels = Rels::default();
    let master = rels.add("slideMaster", "slideMasters/slideMaster1.xml");
    let notes = rels.add("notesMaster", "notesMasters/notesMaster1.xml");
    rels.add("theme", "theme/theme1.xml");
    rels.add("presProps", "presProps.xml");
    rels.add("viewProps", "viewProps.xml");
    rels.add("tableStyles", "tableStyles.xml");
    let mut out = String::from(DECL);
    out.push_str(&format!("<p:presentation {NS_P} saveSubsetFonts=\"1\"><p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"{master}\"/></p:sldMasterIdLst><p:notesMasterIdLst><p:notesMasterId r:id=\"{notes}\"/></p:notesMasterIdLst><p:sldIdLst>"));
    for (i, _) in deck.slides.iter().enumerate() {
        let rid = rels.add("slide", &format!("slides/slide{}.xml", i + 1));
        out.push_str(&format!("<p:sldId id=\"{}\" r:id=\"{rid}\"/>", 256 + i));
    }
    let size_type = match aspect {
        AspectRatio::Wide => "",
        AspectRatio::Standard => " type=\"screen4x3\"",
    };
    out.push_str(&format!(
        "</p:sldIdLst><p:sldSz cx=\"{}\" cy=\"{}\"{size_type}/><p:notesSz cx=\"6858000\" cy=\"9144000\"/><p:defaultTextStyle><a:defPPr><a:defRPr lang=\"en-US\"/></a:defPPr><a:lvl1pPr marL=\"0\" algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\"><a:defRPr sz=\"1800\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill><a:latin typeface=\"+mn-lt\"/><a:ea typeface=\"+mn-ea\"/><a:cs typeface=\"+mn-cs\"/></a:defRPr></a:lvl1pPr></p:defaultTextStyle></p:presentation>",
        deck.geometry.width, deck.geometry.height
    ));
    (out, rels)
}

pub(crate) fn pres_props() -> String {
    format!("{DECL}<p:presentationPr {NS_P}/>")
}

pub(crate) fn view_props() -> String {
    format!(
        "{DECL}<p:viewPr {NS_P}><p:normalViewPr><p:restoredLeft sz=\"15620\"/><p:restoredTop sz=\"94660\"/></p:normalViewPr><p:gridSpacing cx=\"76200\" cy=\"76200\"/></p:viewPr>"
    )
}

pub(crate) fn table_styles() -> String {
    format!(
        "{DECL}<a:tblStyleLst xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" def=\"{{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}}\"/>"
    )
}

/// `docProps/core.xml`: title and author only; no timestamps, so output is
/// reproducible.
pub(crate) fn core(spec: &Presentation) -> String {
    let title = spec
        .title
        .as_deref()
        .or_else(|| spec.slides.iter().find_map(|s| s.title.as_deref()))
        .unwrap_or("Presentation");
    let mut out = format!(
        "{DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title>",
        escape(title)
    );
    if let Some(author) = &spec.author {
        out.push_str(&format!("<dc:creator>{}</dc:creator>", escape(author)));
    }
    out.push_str("</cp:coreProperties>");
    out
}

pub(crate) fn app(slides: usize, aspect: AspectRatio) -> String {
    let format = match aspect {
        AspectRatio::Wide => "Widescreen",
        AspectRatio::Standard => "On-screen Show (4:3)",
    };
    format!(
        "{DECL}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>kiln</Application><PresentationFormat>{format}</PresentationFormat><Slides>{slides}</Slides></Properties>"
    )
}

/// A colour from the spec as `RRGGBB` (validated earlier).
pub(crate) fn hex(color: Option<&str>, default: &str) -> String {
    color
        .map(|c| c.trim_start_matches('#').to_ascii_uppercase())
        .unwrap_or_else(|| default.to_string())
}

/// The default accent palette (after the main accent).
pub(crate) const PALETTE: [&str; 6] = ["1F4E79", "E07A1F", "2E8B57", "7A4EA3", "C0392B", "3A9AD9"];

/// `ppt/theme/theme1.xml` (and the notes theme, which is the same).
pub(crate) fn theme(spec: &Presentation) -> String {
    let t = &spec.theme;
    let mut accents: Vec<String> = vec![hex(t.accent.as_deref(), PALETTE[0])];
    let more = t.accents.as_deref().unwrap_or_default();
    for (i, default) in PALETTE.iter().enumerate().skip(1) {
        accents.push(hex(more.get(i - 1).map(String::as_str), default));
    }
    let text = hex(t.text.as_deref(), "262626");
    let background = hex(t.background.as_deref(), "FFFFFF");
    let heading = escape(t.heading_font.as_deref().unwrap_or("Arial"));
    let body = escape(t.body_font.as_deref().unwrap_or("Arial"));
    let mut out = String::from(DECL);
    out.push_str(&format!("<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"kiln\"><a:themeElements><a:clrScheme name=\"kiln\"><a:dk1><a:srgbClr val=\"{text}\"/></a:dk1><a:lt1><a:srgbClr val=\"{background}\"/></a:lt1><a:dk2><a:srgbClr val=\"{}\"/></a:dk2><a:lt2><a:srgbClr val=\"E7E6E6\"/></a:lt2>", accents[0]));
    for (i, a) in accents.iter().enumerate() {
        out.push_str(&format!("<a:accent{n}><a:srgbClr val=\"{a}\"/></a:accent{n}>", n = i + 1));
    }
    out.push_str(&format!("<a:hlink><a:srgbClr val=\"0563C1\"/></a:hlink><a:folHlink><a:srgbClr val=\"954F72\"/></a:folHlink></a:clrScheme><a:fontScheme name=\"kiln\"><a:majorFont><a:latin typeface=\"{heading}\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:majorFont><a:minorFont><a:latin typeface=\"{body}\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:minorFont></a:fontScheme>"));
    out.push_str("<a:fmtScheme name=\"kiln\"><a:fillStyleLst><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill><a:solidFill><a:schemeClr val=\"phClr\"><a:tint val=\"50000\"/></a:schemeClr></a:solidFill><a:solidFill><a:schemeClr val=\"phClr\"><a:shade val=\"80000\"/></a:schemeClr></a:solidFill></a:fillStyleLst><a:lnStyleLst>");
    for w in [6350, 12700, 19050] {
        out.push_str(&format!("<a:ln w=\"{w}\" cap=\"flat\" cmpd=\"sng\" algn=\"ctr\"><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill><a:prstDash val=\"solid\"/><a:miter lim=\"800000\"/></a:ln>"));
    }
    out.push_str("</a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill><a:solidFill><a:schemeClr val=\"phClr\"><a:tint val=\"95000\"/></a:schemeClr></a:solidFill><a:solidFill><a:schemeClr val=\"phClr\"><a:shade val=\"90000\"/></a:schemeClr></a:solidFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>");
    out
}

const CLR_MAP: &str = "bg1=\"lt1\" tx1=\"dk1\" bg2=\"lt2\" tx2=\"dk2\" accent1=\"accent1\" accent2=\"accent2\" accent3=\"accent3\" accent4=\"accent4\" accent5=\"accent5\" accent6=\"accent6\" hlink=\"hlink\" folHlink=\"folHlink\"";

fn xfrm(r: Rect) -> String {
    format!(
        "<a:xfrm><a:off x=\"{}\" y=\"{}\"/><a:ext cx=\"{}\" cy=\"{}\"/></a:xfrm>",
        r.x, r.y, r.w, r.h
    )
}

/// A placeholder shape of a master or layout. `lst` is its `a:lstStyle`
/// content, `anchor` the vertical anchor, `prompt` the text shown in edit
/// mode.
#[allow(clippy::too_many_arguments)] // one argument per XML attribute it fills
fn placeholder(
    out: &mut String,
    id: u32,
    name: &str,
    ph: &str,
    r: Rect,
    anchor: &str,
    lst: &str,
    prompt: &str,
) {
    out.push_str(&format!(
        "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{name}\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr><p:nvPr><p:ph {ph}/></p:nvPr></p:nvSpPr><p:spPr>{}</p:spPr><p:txBody><a:bodyPr anchor=\"{anchor}\"><a:normAutofit/></a:bodyPr><a:lstStyle>{lst}</a:lstStyle><a:p><a:r><a:rPr lang=\"en-US\"/><a:t>{prompt}</a:t></a:r></a:p></p:txBody></p:sp>",
        xfrm(r)
    ));
}

fn sld_num(out: &mut String, id: u32, g: &Geometry, lst: &str) {
    out.push_str(&format!(
        "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"Slide Number Placeholder\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"sldNum\" sz=\"quarter\" idx=\"12\"/></p:nvPr></p:nvSpPr><p:spPr>{}</p:spPr><p:txBody><a:bodyPr anchor=\"ctr\"/><a:lstStyle>{lst}</a:lstStyle><a:p><a:pPr algn=\"r\"/><a:fld id=\"{{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}}\" type=\"slidenum\"><a:rPr lang=\"en-US\"/><a:t>‹#›</a:t></a:fld><a:endParaRPr lang=\"en-US\"/></a:p></p:txBody></p:sp>",
        xfrm(g.slide_number())
    ));
}

const SP_TREE_START: &str = "<p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>";

fn font_ref(major: bool) -> &'static str {
    if major {
        "<a:latin typeface=\"+mj-lt\"/><a:ea typeface=\"+mj-ea\"/><a:cs typeface=\"+mj-cs\"/>"
    } else {
        "<a:latin typeface=\"+mn-lt\"/><a:ea typeface=\"+mn-ea\"/><a:cs typeface=\"+mn-cs\"/>"
    }
}

/// `ppt/slideMasters/slideMaster1.xml` and its relationships.
pub(crate) fn master(g: &Geometry) -> (String, Rels) {
    let mut rels = Rels::default();
    let mut ids = String::new();
    for l in Layout::ALL {
        let rid =
            rels.add("slideLayout", &format!("../slideLayouts/slideLayout{}.xml", l.part_number()));
        ids.push_str(&format!(
            "<p:sldLayoutId id=\"{}\" r:id=\"{rid}\"/>",
            2147483648u32 + l.part_number() as u32
        ));
    }
    rels.add("theme", "../theme/theme1.xml");
    let mut out = String::from(DECL);
    out.push_str(&format!("<p:sldMaster {NS_P}><p:cSld><p:bg><p:bgRef idx=\"1001\"><a:schemeClr val=\"bg1\"/></p:bgRef></p:bg>{SP_TREE_START}"));
    placeholder(
        &mut out,
        2,
        "Title Placeholder 1",
        "type=\"title\"",
        g.title(),
        "b",
        "",
        "Click to edit Master title style",
    );
    placeholder(
        &mut out,
        3,
        "Text Placeholder 2",
        "type=\"body\" idx=\"1\"",
        g.body(),
        "t",
        "",
        "Click to edit Master text styles",
    );
    sld_num(&mut out, 4, g, "");
    out.push_str(&format!("</p:spTree></p:cSld><p:clrMap {CLR_MAP}/><p:sldLayoutIdLst>{ids}</p:sldLayoutIdLst><p:txStyles>"));
    out.push_str(&format!(
        "<p:titleStyle><a:lvl1pPr algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\"><a:lnSpc><a:spcPct val=\"90000\"/></a:lnSpc><a:spcBef><a:spcPct val=\"0\"/></a:spcBef><a:buNone/><a:defRPr sz=\"{}\" b=\"1\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx2\"/></a:solidFill>{}</a:defRPr></a:lvl1pPr></p:titleStyle><p:bodyStyle>",
        (deck::TITLE_SIZE * 100.0) as i64,
        font_ref(true)
    ));
    for level in 0..9 {
        let size = deck::BODY_SIZES[level.min(4)];
        let before = deck::SPACE_BEFORE[level.min(4)];
        let bullet = if level % 2 == 0 { "•" } else { "–" };
        out.push_str(&format!(
            "<a:lvl{n}pPr marL=\"{}\" indent=\"-{INDENT}\" algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\"><a:lnSpc><a:spcPct val=\"100000\"/></a:lnSpc><a:spcBef><a:spcPts val=\"{}\"/></a:spcBef><a:buClr><a:schemeClr val=\"accent1\"/></a:buClr><a:buFont typeface=\"Arial\"/><a:buChar char=\"{bullet}\"/><a:defRPr sz=\"{}\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>{}</a:defRPr></a:lvl{n}pPr>",
            INDENT * (level as i64 + 1),
            (before * 100.0) as i64,
            (size * 100.0) as i64,
            font_ref(false),
            n = level + 1
        ));
    }
    out.push_str(&format!("</p:bodyStyle><p:otherStyle><a:defPPr><a:defRPr lang=\"en-US\"/></a:defPPr><a:lvl1pPr marL=\"0\" algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\"><a:defRPr sz=\"1800\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>{}</a:defRPr></a:lvl1pPr></p:otherStyle></p:txStyles></p:sldMaster>", font_ref(false)));
    (out, rels)
}

/// A level-1 list style without bullets: size (points), alignment,
/// bold/italic, colour.
fn plain_style(size: f64, align: &str, extra: &str, color: &str) -> String {
    format!(
        "<a:lvl1pPr marL=\"0\" indent=\"0\" algn=\"{align}\"><a:spcBef><a:spcPts val=\"0\"/></a:spcBef><a:buNone/><a:defRPr sz=\"{}\"{extra}><a:solidFill><a:schemeClr val=\"{color}\"/></a:solidFill></a:defRPr></a:lvl1pPr>",
        (size * 100.0) as i64
    )
}

/// `ppt/slideLayouts/slideLayoutN.xml` for one layout.
pub(crate) fn layout(l: Layout, g: &Geometry) -> String {
    let kind = match l {
        Layout::Title => " type=\"title\"",
        Layout::Bullets => " type=\"obj\"",
        Layout::TwoColumns => " type=\"twoObj\"",
        Layout::Section => " type=\"secHead\"",
        Layout::Table => " type=\"tbl\"",
        Layout::Image => " type=\"picTx\"",
        Layout::Chart => " type=\"chart\"",
        Layout::Quote | Layout::BigNumber => "",
    };
    let mut out = String::from(DECL);
    out.push_str(&format!(
        "<p:sldLayout {NS_P}{kind} preserve=\"1\"><p:cSld name=\"{}\">",
        l.display_name()
    ));
    if l == Layout::Section {
        out.push_str("<p:bg><p:bgPr><a:solidFill><a:schemeClr val=\"accent1\"/></a:solidFill><a:effectLst/></p:bgPr></p:bg>");
    }
    out.push_str(SP_TREE_START);
    let title_prompt = "Click to edit title";
    let text_prompt = "Click to add text";
    let mut num_style = String::new();
    match l {
        Layout::Title => {
            let (title, sub, rule) = g.title_slide();
            placeholder(
                &mut out,
                2,
                "Title 1",
                "type=\"ctrTitle\"",
                title,
                "b",
                &plain_style(deck::TITLE_SLIDE_SIZE, "l", " b=\"1\"", "tx2"),
                title_prompt,
            );
            placeholder(
                &mut out,
                3,
                "Subtitle 2",
                "type=\"subTitle\" idx=\"1\"",
                sub,
                "t",
                &plain_style(deck::SUBTITLE_SIZE, "l", "", "tx1"),
                "Click to add subtitle",
            );
            out.push_str(&format!("<p:sp><p:nvSpPr><p:cNvPr id=\"5\" name=\"Accent Rule\"/><p:cNvSpPr/><p:nvPr userDrawn=\"1\"/></p:nvSpPr><p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:solidFill><a:schemeClr val=\"accent2\"/></a:solidFill><a:ln><a:noFill/></a:ln></p:spPr></p:sp>", xfrm(rule)));
        }
        Layout::Section => {
            let (title, sub) = g.section();
            placeholder(
                &mut out,
                2,
                "Title 1",
                "type=\"title\"",
                title,
                "b",
                &plain_style(deck::SECTION_SIZE, "l", " b=\"1\"", "bg1"),
                title_prompt,
            );
            placeholder(
                &mut out,
                3,
                "Text Placeholder 2",
                "type=\"body\" idx=\"1\"",
                sub,
                "t",
                &plain_style(deck::SUBTITLE_SIZE - 4.0, "l", "", "bg1"),
                text_prompt,
            );
            num_style = plain_style(12.0, "r", "", "bg1");
        }
        Layout::Bullets => {
            placeholder(&mut out, 2, "Title 1", "type=\"title\"", g.title(), "b", "", title_prompt);
            placeholder(
                &mut out,
                3,
                "Content Placeholder 2",
                "idx=\"1\"",
                g.body(),
                "t",
                "",
                text_prompt,
            );
        }
        Layout::TwoColumns => {
            let (left, right) = g.columns();
            let mut lst = String::new();
            for level in 0..5 {
                lst.push_str(&format!(
                    "<a:lvl{n}pPr><a:defRPr sz=\"{}\"/></a:lvl{n}pPr>",
                    (deck::COLUMN_SIZES[level] * 100.0) as i64,
                    n = level + 1
                ));
            }
            placeholder(&mut out, 2, "Title 1", "type=\"title\"", g.title(), "b", "", title_prompt);
            placeholder(
                &mut out,
                3,
                "Content Placeholder 2",
                "sz=\"half\" idx=\"1\"",
                left,
                "t",
                &lst,
                text_prompt,
            );
            placeholder(
                &mut out,
                4,
                "Content Placeholder 3",
                "sz=\"half\" idx=\"2\"",
                right,
                "t",
                &lst,
                text_prompt,
            );
        }
        Layout::Table | Layout::Chart => {
            let (ph, name) = if l == Layout::Table {
                ("type=\"tbl\" idx=\"1\"", "Table Placeholder 2")
            } else {
                ("type=\"chart\" idx=\"1\"", "Chart Placeholder 2")
            };
            placeholder(&mut out, 2, "Title 1", "type=\"title\"", g.title(), "b", "", title_prompt);
            placeholder(&mut out, 3, name, ph, g.body(), "t", "", "Click icon to add");
        }
        Layout::Image => {
            let (pic, caption) = g.picture();
            placeholder(&mut out, 2, "Title 1", "type=\"title\"", g.title(), "b", "", title_prompt);
            placeholder(
                &mut out,
                3,
                "Picture Placeholder 2",
                "type=\"pic\" idx=\"1\"",
                pic,
                "t",
                "",
                "Click icon to add picture",
            );
            placeholder(
                &mut out,
                4,
                "Text Placeholder 3",
                "type=\"body\" sz=\"half\" idx=\"2\"",
                caption,
                "t",
                &plain_style(deck::CAPTION_SIZE - 2.0, "ctr", " i=\"1\"", "tx1"),
                text_prompt,
            );
        }
        Layout::Quote => {
            let (quote, attribution) = g.quote();
            placeholder(&mut out, 2, "Title 1", "type=\"title\"", g.title(), "b", "", title_prompt);
            placeholder(
                &mut out,
                3,
                "Quote Placeholder 2",
                "type=\"body\" idx=\"1\"",
                quote,
                "ctr",
                &plain_style(deck::QUOTE_SIZE, "ctr", " i=\"1\"", "tx2"),
                text_prompt,
            );
            placeholder(
                &mut out,
                4,
                "Attribution Placeholder 3",
                "type=\"body\" idx=\"2\"",
                attribution,
                "t",
                &plain_style(deck::ATTRIBUTION_SIZE, "r", "", "tx1"),
                text_prompt,
            );
        }
        Layout::BigNumber => {
            let (number, caption) = g.big_number();
            placeholder(&mut out, 2, "Title 1", "type=\"title\"", g.title(), "b", "", title_prompt);
            placeholder(
                &mut out,
                3,
                "Number Placeholder 2",
                "type=\"body\" idx=\"1\"",
                number,
                "ctr",
                &plain_style(deck::NUMBER_SIZE, "ctr", " b=\"1\"", "accent1"),
                "00%",
            );
            placeholder(
                &mut out,
                4,
                "Caption Placeholder 3",
                "type=\"body\" idx=\"2\"",
                caption,
                "t",
                &plain_style(deck::CAPTION_SIZE + 4.0, "ctr", "", "tx1"),
                text_prompt,
            );
        }
    }
    sld_num(&mut out, 9, g, &num_style);
    out.push_str(
        "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>",
    );
    out
}

/// `_rels` of every layout: its master.
pub(crate) fn layout_rels() -> Rels {
    let mut rels = Rels::default();
    rels.add("slideMaster", "../slideMasters/slideMaster1.xml");
    rels
}

/// `ppt/notesMasters/notesMaster1.xml` and its relationships.
pub(crate) fn notes_master() -> (String, Rels) {
    let mut rels = Rels::default();
    rels.add("theme", "../theme/theme2.xml");
    let mut out = String::from(DECL);
    out.push_str(&format!("<p:notesMaster {NS_P}><p:cSld><p:bg><p:bgRef idx=\"1001\"><a:schemeClr val=\"bg1\"/></p:bgRef></p:bg>{SP_TREE_START}"));
    out.push_str("<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Slide Image Placeholder 1\"/><p:cNvSpPr><a:spLocks noGrp=\"1\" noRot=\"1\" noChangeAspect=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"sldImg\" idx=\"2\"/></p:nvPr></p:nvSpPr><p:spPr><a:xfrm><a:off x=\"685800\" y=\"1143000\"/><a:ext cx=\"5486400\" cy=\"3086100\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:noFill/><a:ln w=\"12700\"><a:solidFill><a:prstClr val=\"black\"/></a:solidFill></a:ln></p:spPr></p:sp>");
    out.push_str("<p:sp><p:nvSpPr><p:cNvPr id=\"3\" name=\"Notes Placeholder 2\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"body\" sz=\"quarter\" idx=\"3\"/></p:nvPr></p:nvSpPr><p:spPr><a:xfrm><a:off x=\"685800\" y=\"4400550\"/><a:ext cx=\"5486400\" cy=\"3600450\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang=\"en-US\"/><a:t>Click to edit Master text styles</a:t></a:r></a:p></p:txBody></p:sp>");
    out.push_str(&format!("</p:spTree></p:cSld><p:clrMap {CLR_MAP}/><p:notesStyle><a:lvl1pPr marL=\"0\" algn=\"l\" defTabSz=\"914400\" rtl=\"0\" eaLnBrk=\"1\" latinLnBrk=\"0\" hangingPunct=\"1\"><a:defRPr sz=\"1200\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>{}</a:defRPr></a:lvl1pPr></p:notesStyle></p:notesMaster>", font_ref(false)));
    (out, rels)
}

/// `ppt/notesSlides/notesSlideN.xml` for slide `slide` and its relationships.
pub(crate) fn notes_slide(notes: &str, slide: usize) -> (String, Rels) {
    let mut rels = Rels::default();
    rels.add("notesMaster", "../notesMasters/notesMaster1.xml");
    rels.add("slide", &format!("../slides/slide{slide}.xml"));
    let mut out = String::from(DECL);
    out.push_str(&format!("<p:notes {NS_P}><p:cSld>{SP_TREE_START}"));
    out.push_str("<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Slide Image Placeholder 1\"/><p:cNvSpPr><a:spLocks noGrp=\"1\" noRot=\"1\" noChangeAspect=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"sldImg\"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp>");
    out.push_str("<p:sp><p:nvSpPr><p:cNvPr id=\"3\" name=\"Notes Placeholder 2\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"body\" idx=\"1\"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>");
    for line in crate::text::paragraphs(notes) {
        out.push_str("<a:p><a:r><a:rPr lang=\"en-US\" dirty=\"0\"/><a:t>");
        push_escaped(&mut out, &line);
        out.push_str("</a:t></a:r></a:p>");
    }
    out.push_str("</p:txBody></p:sp></p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:notes>");
    (out, rels)
}
