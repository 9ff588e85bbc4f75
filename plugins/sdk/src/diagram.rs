//! Infrastructure diagrams as SVG: resources as boxes, grouped in labelled
//! frames (a module, a service, a stack), references as arrows.
//!
//! The layout is layered (Sugiyama-style) and deterministic:
//! 1. cycles are broken by ignoring the edges that close them (depth-first,
//!    in node order), and every node gets a layer by longest path: a node
//!    sits one row below the lowest node it points to, so what is referenced
//!    is drawn above what references it;
//! 2. every group is a vertical band (bands in order of first appearance),
//!    every layer a row, so frames never overlap and boxes never overlap;
//! 3. within each band and row, nodes are ordered by the barycentre of their
//!    neighbours in the rows above and below (a few down and up sweeps, ties
//!    kept in node order);
//! 4. arrows run from the top of the referencing box to the bottom of the
//!    referenced one, as cubic curves drawn under the boxes.
//!
//! Boxes have a fixed size; labels longer than a box are cut with an
//! ellipsis and the full text is kept in a `<title>` (shown as a tooltip).
//! All text is XML-escaped. The same graph always gives the same bytes.
//!
//! ```
//! use kiln_plugin_sdk::diagram::{Graph, Node, Edge, svg};
//! let mut g = Graph::default();
//! g.nodes.push(Node::new("vpc", "main", "aws_vpc").group("network"));
//! g.nodes.push(Node::new("subnet", "private", "aws_subnet").group("network"));
//! g.edges.push(Edge::new("subnet", "vpc"));
//! let text = svg(&g);
//! assert!(text.starts_with("<svg"));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A diagram: boxes and the arrows between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// Drawn at the top left when set.
    pub title: Option<String>,
    /// Boxes, in a meaningful order (it breaks ties in the layout).
    pub nodes: Vec<Node>,
    /// Arrows; an edge naming an unknown node, and a self-loop, is not drawn.
    pub edges: Vec<Edge>,
}

/// One box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Unique key used by edges (not drawn).
    pub id: String,
    /// The main line, e.g. the resource name.
    pub label: String,
    /// The second, smaller line, e.g. the resource type.
    pub sublabel: String,
    /// The frame the box is drawn in (a module, a service); `None` draws it
    /// outside any frame.
    pub group: Option<String>,
}

impl Node {
    /// A box outside any group.
    pub fn new(
        id: impl Into<String>,
        label: impl Into<String>,
        sublabel: impl Into<String>,
    ) -> Self {
        Node { id: id.into(), label: label.into(), sublabel: sublabel.into(), group: None }
    }

    /// The same box in a group.
    #[must_use]
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }
}

/// An arrow from a node to the node it refers to (depends on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Id of the referencing node (the arrow's tail).
    pub from: String,
    /// Id of the referenced node (the arrow's head).
    pub to: String,
}

impl Edge {
    /// An arrow from `from` to `to`.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Edge { from: from.into(), to: to.into() }
    }
}

/// Width of a box, in SVG user units (pixels).
pub const NODE_WIDTH: u32 = 190;
/// Height of a box.
pub const NODE_HEIGHT: u32 = 52;
const H_GAP: u32 = 24;
const ROW_GAP: u32 = 70;
const FRAME_PAD: u32 = 14;
const FRAME_LABEL: u32 = 22;
const BAND_GAP: u32 = 28;
const MARGIN: u32 = 24;
const TITLE_HEIGHT: u32 = 34;
const SWEEPS: usize = 4;
/// Rough advance of one character of the label font, for cutting text.
const LABEL_CHAR: f64 = 7.4;
const SUBLABEL_CHAR: f64 = 6.2;

/// Lays the graph out and draws it as a standalone SVG document.
pub fn svg(graph: &Graph) -> String {
    let layout = Layout::new(graph);
    layout.draw(graph)
}

struct Layout {
    /// Per node: (x, y) of its box's top-left corner.
    pos: Vec<(u32, u32)>,
    /// Per band: (label, x, y, width, height); unlabelled bands have no frame.
    frames: Vec<(Option<String>, u32, u32, u32, u32)>,
    /// Edges as node indices.
    edges: Vec<(usize, usize)>,
    width: u32,
    height: u32,
}

impl Layout {
    #[allow(clippy::needless_range_loop)]
    fn new(graph: &Graph) -> Layout {
        let n = graph.nodes.len();
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            index.entry(node.id.as_str()).or_insert(i);
        }
        let mut edges: Vec<(usize, usize)> = Vec::new();
        for e in &graph.edges {
            if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str()))
                && a != b
                && !edges.contains(&(a, b))
            {
                edges.push((a, b));
            }
        }
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in &edges {
            out[a].push(b);
        }
        let acyclic = break_cycles(n, &out);
        let layer = longest_path(n, &acyclic);
        let rows = layer.iter().copied().max().map_or(0, |m| m + 1);

        // Bands: one per group, in order of first appearance; ungrouped
        // nodes share one band without a frame.
        let mut band_names: Vec<Option<&str>> = Vec::new();
        let mut band_of = vec![0usize; n];
        for (i, node) in graph.nodes.iter().enumerate() {
            let g = node.group.as_deref();
            let b = match band_names.iter().position(|x| *x == g) {
                Some(b) => b,
                None => {
                    band_names.push(g);
                    band_names.len() - 1
                }
            };
            band_of[i] = b;
        }
        let bands = band_names.len();
        // cells[band][row] = ordered nodes
        let mut cells: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); rows]; bands];
        for i in 0..n {
            cells[band_of[i]][layer[i]].push(i);
        }
        let band_slots: Vec<usize> =
            cells.iter().map(|b| b.iter().map(Vec::len).max().unwrap_or(0).max(1)).collect();
        let slot = NODE_WIDTH + H_GAP;
        let mut band_x = Vec::with_capacity(bands);
        let mut x = MARGIN;
        for (b, slots) in band_slots.iter().enumerate() {
            band_x.push(x);
            let inner = *slots as u32 * slot - H_GAP;
            let pad = if band_names[b].is_some() { FRAME_PAD } else { 0 };
            x += inner + 2 * pad + BAND_GAP;
        }
        let width = (x.saturating_sub(BAND_GAP) + MARGIN)
            .max(2 * MARGIN + NODE_WIDTH)
            // Room for the whole title.
            .max(
                2 * MARGIN
                    + graph
                        .title
                        .as_ref()
                        .map_or(0, |t| (t.chars().count() as f64 * 10.0).ceil() as u32),
            );

        // Neighbours (both directions) for barycentres.
        let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in &edges {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
        let centre_x = |cells: &Vec<Vec<Vec<usize>>>, i: usize| -> f64 {
            let b = band_of[i];
            let k = cells[b][layer[i]].iter().position(|&j| j == i).unwrap_or(0);
            let slots = band_slots[b];
            let used = cells[b][layer[i]].len();
            // Rows with fewer nodes than the band's widest row are centred.
            let offset = (slots - used) as f64 * f64::from(slot) / 2.0;
            f64::from(band_x[b]) + offset + k as f64 * f64::from(slot)
        };
        for sweep in 0..SWEEPS {
            let order: Vec<usize> =
                if sweep % 2 == 0 { (0..rows).collect() } else { (0..rows).rev().collect() };
            for r in order {
                for b in 0..bands {
                    if cells[b][r].len() < 2 {
                        continue;
                    }
                    let mut keyed: Vec<(f64, usize, usize)> = cells[b][r]
                        .iter()
                        .enumerate()
                        .map(|(k, &i)| {
                            let adj: Vec<f64> = neighbours[i]
                                .iter()
                                .filter(|&&j| layer[j] != r)
                                .map(|&j| centre_x(&cells, j))
                                .collect();
                            let bary = if adj.is_empty() {
                                centre_x(&cells, i)
                            } else {
                                adj.iter().sum::<f64>() / adj.len() as f64
                            };
                            (bary, k, i)
                        })
                        .collect();
                    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    cells[b][r] = keyed.into_iter().map(|(_, _, i)| i).collect();
                }
            }
        }

        let top = MARGIN + if graph.title.is_some() { TITLE_HEIGHT } else { 0 } + FRAME_LABEL;
        let row_y = |r: usize| top + r as u32 * (NODE_HEIGHT + ROW_GAP);
        let mut pos = vec![(0u32, 0u32); n];
        for b in 0..bands {
            let pad = if band_names[b].is_some() { FRAME_PAD } else { 0 };
            for r in 0..rows {
                let used = cells[b][r].len();
                let offset = (band_slots[b] - used) as u32 * slot / 2;
                for (k, &i) in cells[b][r].iter().enumerate() {
                    pos[i] = (band_x[b] + pad + offset + k as u32 * slot, row_y(r));
                }
            }
        }
        let mut frames = Vec::new();
        for b in 0..bands {
            let used: Vec<usize> = (0..rows).filter(|&r| !cells[b][r].is_empty()).collect();
            let (Some(&first), Some(&last)) = (used.first(), used.last()) else {
                continue;
            };
            let w = band_slots[b] as u32 * slot - H_GAP + 2 * FRAME_PAD;
            let y = row_y(first) - FRAME_LABEL - 6;
            let h = row_y(last) + NODE_HEIGHT + FRAME_PAD - y;
            frames.push((band_names[b].map(str::to_owned), band_x[b], y, w, h));
        }
        let height = row_y(rows.max(1) - 1) + NODE_HEIGHT + FRAME_PAD + MARGIN;
        Layout { pos, frames, edges, width, height }
    }

    fn draw(&self, graph: &Graph) -> String {
        let mut s = String::with_capacity(1024 + graph.nodes.len() * 600);
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             font-family=\"Helvetica, Arial, sans-serif\">",
            w = self.width,
            h = self.height
        );
        s.push_str(
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" \
             markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#5b6b7f\"/>\
             </marker></defs>\n",
        );
        let _ = writeln!(
            s,
            "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
            self.width, self.height
        );
        if let Some(title) = &graph.title {
            let _ = writeln!(
                s,
                "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"18\" font-weight=\"bold\" fill=\"#1f2933\">{}</text>",
                MARGIN + 18,
                escape(&fit(title, f64::from(self.width - 2 * MARGIN), 10.0))
            );
        }
        for (label, x, y, w, h) in &self.frames {
            let Some(label) = label else { continue };
            let _ = writeln!(
                s,
                "<g class=\"group\"><title>{t}</title><rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"8\" \
                 fill=\"#f4f7fb\" stroke=\"#9aa9bb\" stroke-dasharray=\"6 4\"/><text x=\"{tx}\" y=\"{ty}\" \
                 font-size=\"13\" font-weight=\"bold\" fill=\"#3e4c5e\">{l}</text></g>",
                t = escape(label),
                tx = x + 10,
                ty = y + 18,
                l = escape(&fit(label, f64::from(*w - 20), LABEL_CHAR))
            );
        }
        for &(a, b) in &self.edges {
            let (ax, ay) = self.pos[a];
            let (bx, by) = self.pos[b];
            let x1 = ax + NODE_WIDTH / 2;
            let x2 = bx + NODE_WIDTH / 2;
            let (y1, y2, c1, c2) = if ay > by {
                // The usual case: the referenced box is above.
                let y1 = ay;
                let y2 = by + NODE_HEIGHT;
                let mid = (y1 + y2) / 2;
                (y1, y2, mid, mid)
            } else {
                // A back edge (a cycle) or a same-row edge: loop below and around.
                let y1 = ay + NODE_HEIGHT;
                let y2 = by + NODE_HEIGHT;
                let low = y1.max(y2) + ROW_GAP / 2;
                (y1, y2, low, low)
            };
            let _ = writeln!(
                s,
                "<path class=\"edge\" d=\"M{x1},{y1} C{x1},{c1} {x2},{c2} {x2},{y2}\" fill=\"none\" stroke=\"#5b6b7f\" \
                 stroke-width=\"1.4\" marker-end=\"url(#arrow)\"><title>{} → {}</title></path>",
                escape(&graph.nodes[a].id),
                escape(&graph.nodes[b].id)
            );
        }
        for (i, node) in graph.nodes.iter().enumerate() {
            let (x, y) = self.pos[i];
            let inner = f64::from(NODE_WIDTH - 16);
            let _ = writeln!(
                s,
                "<g class=\"node\"><title>{tl}\n{ts}</title><rect x=\"{x}\" y=\"{y}\" width=\"{NODE_WIDTH}\" \
                 height=\"{NODE_HEIGHT}\" rx=\"6\" fill=\"#ffffff\" stroke=\"#2f6fb2\" stroke-width=\"1.5\"/>\
                 <text x=\"{cx}\" y=\"{ly}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" \
                 fill=\"#1f2933\">{l}</text><text x=\"{cx}\" y=\"{sy}\" text-anchor=\"middle\" font-size=\"11\" \
                 fill=\"#52606d\">{sl}</text></g>",
                tl = escape(&node.label),
                ts = escape(&node.sublabel),
                cx = x + NODE_WIDTH / 2,
                ly = y + 22,
                sy = y + 40,
                l = escape(&fit(&node.label, inner, LABEL_CHAR)),
                sl = escape(&fit(&node.sublabel, inner, SUBLABEL_CHAR)),
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

/// Depth-first in node order; an edge to a node on the current path closes a
/// cycle and is left out of the layering.
fn break_cycles(n: usize, out: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut state = vec![0u8; n]; // 0 new, 1 on path, 2 done
    let mut kept: Vec<Vec<usize>> = vec![Vec::new(); n];
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if *k < out[v].len() {
                let w = out[v][*k];
                *k += 1;
                match state[w] {
                    0 => {
                        kept[v].push(w);
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    2 => kept[v].push(w),
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    kept
}

/// Layer 0 for nodes that point nowhere; otherwise one more than the highest
/// layer among the nodes pointed to.
fn longest_path(n: usize, out: &[Vec<usize>]) -> Vec<usize> {
    let mut layer = vec![usize::MAX; n];
    for start in 0..n {
        if layer[start] != usize::MAX {
            continue;
        }
        let mut stack = vec![(start, false)];
        while let Some((v, expanded)) = stack.pop() {
            if layer[v] != usize::MAX {
                continue;
            }
            if expanded {
                layer[v] = out[v].iter().map(|&w| layer[w] + 1).max().unwrap_or(0);
            } else {
                stack.push((v, true));
                for &w in &out[v] {
                    if layer[w] == usize::MAX {
                        stack.push((w, false));
                    }
                }
            }
        }
    }
    layer
}

/// Cuts `text` to what fits in `width` at `char_width` per character.
fn fit(text: &str, width: f64, char_width: f64) -> String {
    let max = (width / char_width).floor().max(2.0) as usize;
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// XML text and attribute escaping; drops characters XML 1.0 forbids.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\t' | '\n' | '\r' => s.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Graph {
        let mut g = Graph { title: Some("Network <prod>".into()), ..Graph::default() };
        g.nodes.push(Node::new("vpc", "main", "aws_vpc").group("root"));
        g.nodes.push(Node::new("a", "private_a", "aws_subnet").group("root"));
        g.nodes.push(Node::new("b", "private_b", "aws_subnet").group("root"));
        g.nodes.push(Node::new("db", "db & cache", "aws_db_instance").group("module.db"));
        g.edges.push(Edge::new("a", "vpc"));
        g.edges.push(Edge::new("b", "vpc"));
        g.edges.push(Edge::new("db", "a"));
        g.edges.push(Edge::new("db", "b"));
        g
    }

    #[test]
    fn layers_put_referenced_nodes_above() {
        let g = sample();
        let l = Layout::new(&g);
        assert!(l.pos[0].1 < l.pos[1].1);
        assert_eq!(l.pos[1].1, l.pos[2].1);
        assert!(l.pos[3].1 > l.pos[1].1);
    }

    #[test]
    fn boxes_do_not_overlap_and_output_is_stable() {
        let g = sample();
        let l = Layout::new(&g);
        for i in 0..l.pos.len() {
            for j in i + 1..l.pos.len() {
                let (a, b) = (l.pos[i], l.pos[j]);
                let apart = a.0 + NODE_WIDTH <= b.0
                    || b.0 + NODE_WIDTH <= a.0
                    || a.1 + NODE_HEIGHT <= b.1
                    || b.1 + NODE_HEIGHT <= a.1;
                assert!(apart, "{i} and {j} overlap");
            }
        }
        let s = svg(&g);
        assert_eq!(s, svg(&g));
        assert!(s.contains("db &amp; cache"));
        assert!(s.contains("Network &lt;prod&gt;"));
    }

    #[test]
    fn cycles_and_unknown_edges_are_drawn_safely() {
        let mut g = Graph::default();
        g.nodes.push(Node::new("a", "a", "t"));
        g.nodes.push(Node::new("b", "b", "t"));
        g.edges.push(Edge::new("a", "b"));
        g.edges.push(Edge::new("b", "a"));
        g.edges.push(Edge::new("a", "nowhere"));
        g.edges.push(Edge::new("a", "a"));
        let s = svg(&g);
        assert_eq!(s.matches("class=\"edge\"").count(), 2);
        assert!(svg(&Graph::default()).starts_with("<svg"));
    }
}
