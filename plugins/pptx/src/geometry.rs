//! Where each placeholder sits, in EMU (914,400 per inch, 12,700 per point).
//! The slide master, the layouts and the text-fitting all read these boxes,
//! so what is measured is what is drawn.

use crate::spec::AspectRatio;

pub(crate) const EMU_PER_INCH: i64 = 914_400;
pub(crate) const EMU_PER_PT: i64 = 12_700;
pub(crate) const SLIDE_HEIGHT: i64 = 6_858_000;

/// A rectangle: offset and extent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) x: i64,
    pub(crate) y: i64,
    pub(crate) w: i64,
    pub(crate) h: i64,
}

impl Rect {
    pub(crate) const fn new(x: i64, y: i64, w: i64, h: i64) -> Rect {
        Rect { x, y, w, h }
    }

    /// The largest rectangle of aspect `w:h` centred in this one.
    pub(crate) fn fit(self, w: u32, h: u32) -> Rect {
        if w == 0 || h == 0 {
            return self;
        }
        let (w, h) = (i128::from(w), i128::from(h));
        let (bw, bh) = (i128::from(self.w), i128::from(self.h));
        let (fw, fh) = if bw * h <= bh * w { (bw, bw * h / w) } else { (bh * w / h, bh) };
        let (fw, fh) = (fw as i64, fh as i64);
        Rect::new(self.x + (self.w - fw) / 2, self.y + (self.h - fh) / 2, fw, fh)
    }
}

const fn inches(hundredths: i64) -> i64 {
    hundredths * EMU_PER_INCH / 100
}

/// Text box insets PowerPoint uses by default (0.1" left/right, 0.05"
/// top/bottom).
pub(crate) const INSET_X: i64 = 91_440;
pub(crate) const INSET_Y: i64 = 45_720;

/// The boxes of one slide size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    pub(crate) width: i64,
    pub(crate) height: i64,
    margin: i64,
}

impl Geometry {
    pub(crate) fn new(aspect: AspectRatio) -> Geometry {
        let width = match aspect {
            AspectRatio::Wide => 12_192_000,
            AspectRatio::Standard => 9_144_000,
        };
        Geometry { width, height: SLIDE_HEIGHT, margin: width / 20 }
    }

    fn inner_width(&self) -> i64 {
        self.width - 2 * self.margin
    }

    /// The title of content layouts.
    pub(crate) fn title(&self) -> Rect {
        Rect::new(self.margin, inches(30), self.inner_width(), inches(110))
    }

    /// The body of content layouts (bullets, table, chart).
    pub(crate) fn body(&self) -> Rect {
        let y = inches(150);
        Rect::new(self.margin, y, self.inner_width(), self.height - y - inches(80))
    }

    /// Left and right columns of `two_columns`.
    pub(crate) fn columns(&self) -> (Rect, Rect) {
        let body = self.body();
        let gap = inches(40);
        let w = (body.w - gap) / 2;
        (Rect::new(body.x, body.y, w, body.h), Rect::new(body.x + w + gap, body.y, w, body.h))
    }

    /// Title and subtitle of the title slide, and the accent rule between.
    pub(crate) fn title_slide(&self) -> (Rect, Rect, Rect) {
        let x = self.margin * 3 / 2;
        let w = self.width - 2 * x;
        let h = self.height;
        (
            Rect::new(x, h * 26 / 100, w, h * 26 / 100),
            Rect::new(x, h * 57 / 100, w, h * 18 / 100),
            Rect::new(x, h * 54 / 100, w / 4, inches(6)),
        )
    }

    /// Title and subtitle of a section header.
    pub(crate) fn section(&self) -> (Rect, Rect) {
        let x = self.margin * 3 / 2;
        let w = self.width - 2 * x;
        let h = self.height;
        (Rect::new(x, h * 33 / 100, w, h * 24 / 100), Rect::new(x, h * 58 / 100, w, h * 14 / 100))
    }

    /// Picture and caption of `image`.
    pub(crate) fn picture(&self) -> (Rect, Rect) {
        let body = self.body();
        let caption_h = inches(60);
        (
            Rect::new(body.x, body.y, body.w, body.h - caption_h - inches(10)),
            Rect::new(body.x, body.y + body.h - caption_h, body.w, caption_h),
        )
    }

    /// Quote and attribution of `quote`.
    pub(crate) fn quote(&self) -> (Rect, Rect) {
        let x = self.margin * 2;
        let w = self.width - 2 * x;
        let h = self.height;
        (Rect::new(x, h * 24 / 100, w, h * 44 / 100), Rect::new(x, h * 70 / 100, w, inches(60)))
    }

    /// Number and caption of `big_number`.
    pub(crate) fn big_number(&self) -> (Rect, Rect) {
        let h = self.height;
        (
            Rect::new(self.margin, h * 28 / 100, self.inner_width(), h * 30 / 100),
            Rect::new(self.margin, h * 60 / 100, self.inner_width(), inches(90)),
        )
    }

    /// The slide number, bottom right.
    pub(crate) fn slide_number(&self) -> Rect {
        let w = inches(120);
        Rect::new(self.width - self.margin - w, self.height - inches(60), w, inches(40))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_ratio_and_centres() {
        let r = Rect::new(0, 0, 1000, 500).fit(100, 100);
        assert_eq!(r, Rect::new(250, 0, 500, 500));
        let r = Rect::new(0, 0, 1000, 500).fit(400, 100);
        assert_eq!(r, Rect::new(0, 125, 1000, 250));
    }
}
