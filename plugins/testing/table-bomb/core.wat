;; The core module of the table-bomb fixture: a kiln generator plugin whose
;; `generate` grows a table without bound. Rust cannot emit `table.grow`, so
;; this module is written by hand and wrapped into a component (see
;; ../README.md); the component is ../table-bomb.wat.
;;
;; It follows the canonical ABI as wit-bindgen lays it out for exports of
;; `kiln:generator/plugin@0.1.0`:
;;   info:     func() -> plugin-info                       => () -> i32
;;   validate: func(spec: string) -> list<violation>       => (i32 i32) -> i32
;;   generate: func(request: request) -> result<_, generate-error>
;;                                                         => (i32 i32 i32 i32) -> i32
;; Results wider than one core value are returned as a pointer to a "return
;; area" in linear memory. `request` flattens to spec (ptr, len) and assets
;; (ptr, len). Strings and lists are (ptr: i32, len: i32) pairs, 4-aligned.
;;
;; Memory map:
;;   1024 + 256*i   constant strings (data segments below)
;;   4096           media-types: list<string>, one element (8 bytes)
;;   4112           examples: list<example>, one element (16 bytes)
;;   4128           info's return area: plugin-info (64 bytes)
;;   4192           validate's return area: list<violation> (8 bytes)
;;   8192..         heap for cabi_realloc (the host copies arguments there)
;;
;; Nothing is imported: the fixture needs no host function.
(module
  (memory (export "memory") 1)

  ;; Grown by `generate`; no maximum, so only the host's limiter stops it.
  (table $cells 0 funcref)

  ;; Next free byte of the bump heap. Nothing is ever freed: a run is short
  ;; and its instance is thrown away afterwards.
  (global $heap (mut i32) (i32.const 8192))

  ;; Constant strings. The lengths are written next to each use in `info`.
  (data (i32.const 1024) "table-bomb")                 ;; 10 bytes: name
  (data (i32.const 1280) "0.1.0")                      ;; 5: version
  (data (i32.const 1536) "testing")                    ;; 7: artifact-type
  (data (i32.const 1792) "Grows a table without bound, to test the host's table limit.")
                                                       ;; 60: summary
  (data (i32.const 2048) "Calls table.grow on a funcref table, 10,000 elements at a time, until the host stops the run. Takes any spec.")
                                                       ;; 109: description
  (data (i32.const 2304) "application/octet-stream")   ;; 24: the one media type
  (data (i32.const 2560) "{}")                         ;; 2: spec-schema and example spec
  (data (i32.const 2816) "Grow until stopped")         ;; 18: example title

  ;; cabi_realloc(old_ptr, old_len, align, new_len) -> ptr
  ;; A bump allocator: the host calls it to copy `validate`'s and
  ;; `generate`'s arguments in. Grows memory when the heap runs past its end
  ;; and traps if memory cannot grow.
  (func $cabi_realloc (export "cabi_realloc")
    (param $old_ptr i32) (param $old_len i32) (param $align i32) (param $new_len i32)
    (result i32)
    (local $ptr i32) (local $end i32) (local $limit i32)
    ;; ptr = align_up(heap, align); align is a power of two.
    (local.set $ptr
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $new_len)))
    (local.set $limit (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $limit))
      (then
        ;; Grow by ceil((end - limit) / 64 KiB) pages.
        (if (i32.eq
              (memory.grow
                (i32.shr_u
                  (i32.add (i32.sub (local.get $end) (local.get $limit)) (i32.const 65535))
                  (i32.const 16)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    ;; A realloc keeps the old bytes (the host never asks for one, but the
    ;; ABI allows it).
    (if (local.get $old_len)
      (then
        (memory.copy
          (local.get $ptr)
          (local.get $old_ptr)
          (select (local.get $old_len) (local.get $new_len)
            (i32.lt_u (local.get $old_len) (local.get $new_len))))))
    (local.get $ptr))

  ;; info() -> plugin-info, as a pointer to 8 (ptr, len) pairs:
  ;; name, version, artifact-type, summary, description, media-types,
  ;; spec-schema, examples.
  (func (export "kiln:generator/plugin@0.1.0#info") (result i32)
    ;; media-types[0] = "application/octet-stream"
    (i32.store (i32.const 4096) (i32.const 2304))
    (i32.store (i32.const 4100) (i32.const 24))
    ;; examples[0] = { title: "Grow until stopped", spec: "{}" }
    (i32.store (i32.const 4112) (i32.const 2816))
    (i32.store (i32.const 4116) (i32.const 18))
    (i32.store (i32.const 4120) (i32.const 2560))
    (i32.store (i32.const 4124) (i32.const 2))
    ;; The record itself.
    (i32.store (i32.const 4128) (i32.const 1024))  ;; name
    (i32.store (i32.const 4132) (i32.const 10))
    (i32.store (i32.const 4136) (i32.const 1280))  ;; version
    (i32.store (i32.const 4140) (i32.const 5))
    (i32.store (i32.const 4144) (i32.const 1536))  ;; artifact-type
    (i32.store (i32.const 4148) (i32.const 7))
    (i32.store (i32.const 4152) (i32.const 1792))  ;; summary
    (i32.store (i32.const 4156) (i32.const 60))
    (i32.store (i32.const 4160) (i32.const 2048))  ;; description
    (i32.store (i32.const 4164) (i32.const 109))
    (i32.store (i32.const 4168) (i32.const 4096))  ;; media-types
    (i32.store (i32.const 4172) (i32.const 1))
    (i32.store (i32.const 4176) (i32.const 2560))  ;; spec-schema
    (i32.store (i32.const 4180) (i32.const 2))
    (i32.store (i32.const 4184) (i32.const 4112))  ;; examples
    (i32.store (i32.const 4188) (i32.const 1))
    (i32.const 4128))

  ;; validate(spec) -> list<violation>: always the empty list. The pointer
  ;; of an empty list must still be aligned and in bounds.
  (func (export "kiln:generator/plugin@0.1.0#validate")
    (param $spec_ptr i32) (param $spec_len i32) (result i32)
    (i32.store (i32.const 4192) (i32.const 4096))
    (i32.store (i32.const 4196) (i32.const 0))
    (i32.const 4192))

  ;; generate(request) -> result<_, generate-error>: never returns. A failed
  ;; grow (-1) is ignored, so only a trap from the host's ResourceLimiter
  ;; (or a CPU or wall-clock limit) ends the loop.
  (func (export "kiln:generator/plugin@0.1.0#generate")
    (param $spec_ptr i32) (param $spec_len i32)
    (param $assets_ptr i32) (param $assets_len i32)
    (result i32)
    (loop $grow
      (drop (table.grow $cells (ref.null func) (i32.const 10000)))
      (br $grow))
    unreachable)
)
