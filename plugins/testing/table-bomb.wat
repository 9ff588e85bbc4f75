;; The table-bomb fixture: a kiln generator component whose `generate`
;; grows a funcref table 10,000 elements at a time until the host stops it.
;; Generated from table-bomb/core.wat by table-bomb/regenerate.sh
;; (wasm-tools 1.263.0); edit core.wat and regenerate, not this file.
(component
  (type $ty-kiln:generator/types@0.1.0 (;0;)
    (instance
      (type (;0;) (record (field "title" string) (field "spec" string)))
      (export (;1;) "example" (type (eq 0)))
      (type (;2;) (list string))
      (type (;3;) (list 1))
      (type (;4;) (record (field "name" string) (field "version" string) (field "artifact-type" string) (field "summary" string) (field "description" string) (field "media-types" 2) (field "spec-schema" string) (field "examples" 3)))
      (export (;5;) "plugin-info" (type (eq 4)))
      (type (;6;) (record (field "pointer" string) (field "message" string)))
      (export (;7;) "violation" (type (eq 6)))
      (type (;8;) (record (field "name" string) (field "media-type" string) (field "size" u64)))
      (export (;9;) "asset-info" (type (eq 8)))
      (type (;10;) (list 9))
      (type (;11;) (record (field "spec" string) (field "assets" 10)))
      (export (;12;) "request" (type (eq 11)))
      (type (;13;) (list 7))
      (type (;14;) (variant (case "invalid-spec" 13) (case "unsupported" string) (case "failed" string)))
      (export (;15;) "generate-error" (type (eq 14)))
    )
  )
  (import "kiln:generator/types@0.1.0" (instance $kiln:generator/types@0.1.0 (;0;) (type $ty-kiln:generator/types@0.1.0)))
  (core module $main (;0;)
    (type (;0;) (func (param i32 i32 i32 i32) (result i32)))
    (type (;1;) (func (result i32)))
    (type (;2;) (func (param i32 i32) (result i32)))
    (table $cells (;0;) 0 funcref)
    (memory (;0;) 1)
    (global $heap (;0;) (mut i32) i32.const 8192)
    (export "memory" (memory 0))
    (export "cabi_realloc" (func $cabi_realloc))
    (export "kiln:generator/plugin@0.1.0#info" (func 1))
    (export "kiln:generator/plugin@0.1.0#validate" (func 2))
    (export "kiln:generator/plugin@0.1.0#generate" (func 3))
    (func $cabi_realloc (;0;) (type 0) (param $old_ptr i32) (param $old_len i32) (param $align i32) (param $new_len i32) (result i32)
      (local $ptr i32) (local $end i32) (local $limit i32)
      global.get $heap
      local.get $align
      i32.const 1
      i32.sub
      i32.add
      i32.const 0
      local.get $align
      i32.sub
      i32.and
      local.set $ptr
      local.get $ptr
      local.get $new_len
      i32.add
      local.set $end
      memory.size
      i32.const 65536
      i32.mul
      local.set $limit
      local.get $end
      local.get $limit
      i32.gt_u
      if ;; label = @1
        local.get $end
        local.get $limit
        i32.sub
        i32.const 65535
        i32.add
        i32.const 16
        i32.shr_u
        memory.grow
        i32.const -1
        i32.eq
        if ;; label = @2
          unreachable
        end
      end
      local.get $end
      global.set $heap
      local.get $old_len
      if ;; label = @1
        local.get $ptr
        local.get $old_ptr
        local.get $old_len
        local.get $new_len
        local.get $old_len
        local.get $new_len
        i32.lt_u
        select
        memory.copy
      end
      local.get $ptr
    )
    (func (;1;) (type 1) (result i32)
      i32.const 4096
      i32.const 2304
      i32.store
      i32.const 4100
      i32.const 24
      i32.store
      i32.const 4112
      i32.const 2816
      i32.store
      i32.const 4116
      i32.const 18
      i32.store
      i32.const 4120
      i32.const 2560
      i32.store
      i32.const 4124
      i32.const 2
      i32.store
      i32.const 4128
      i32.const 1024
      i32.store
      i32.const 4132
      i32.const 10
      i32.store
      i32.const 4136
      i32.const 1280
      i32.store
      i32.const 4140
      i32.const 5
      i32.store
      i32.const 4144
      i32.const 1536
      i32.store
      i32.const 4148
      i32.const 7
      i32.store
      i32.const 4152
      i32.const 1792
      i32.store
      i32.const 4156
      i32.const 60
      i32.store
      i32.const 4160
      i32.const 2048
      i32.store
      i32.const 4164
      i32.const 109
      i32.store
      i32.const 4168
      i32.const 4096
      i32.store
      i32.const 4172
      i32.const 1
      i32.store
      i32.const 4176
      i32.const 2560
      i32.store
      i32.const 4180
      i32.const 2
      i32.store
      i32.const 4184
      i32.const 4112
      i32.store
      i32.const 4188
      i32.const 1
      i32.store
      i32.const 4128
    )
    (func (;2;) (type 2) (param $spec_ptr i32) (param $spec_len i32) (result i32)
      i32.const 4192
      i32.const 4096
      i32.store
      i32.const 4196
      i32.const 0
      i32.store
      i32.const 4192
    )
    (func (;3;) (type 0) (param $spec_ptr i32) (param $spec_len i32) (param $assets_ptr i32) (param $assets_len i32) (result i32)
      loop $grow
        ref.null func
        i32.const 10000
        table.grow $cells
        drop
        br $grow
      end
      unreachable
    )
    (data (;0;) (i32.const 1024) "table-bomb")
    (data (;1;) (i32.const 1280) "0.1.0")
    (data (;2;) (i32.const 1536) "testing")
    (data (;3;) (i32.const 1792) "Grows a table without bound, to test the host's table limit.")
    (data (;4;) (i32.const 2048) "Calls table.grow on a funcref table, 10,000 elements at a time, until the host stops the run. Takes any spec.")
    (data (;5;) (i32.const 2304) "application/octet-stream")
    (data (;6;) (i32.const 2560) "{}")
    (data (;7;) (i32.const 2816) "Grow until stopped")
    (@producers
      (processed-by "wit-component" "0.263.0")
    )
  )
  (alias export $kiln:generator/types@0.1.0 "plugin-info" (type $plugin-info (;1;)))
  (alias export $kiln:generator/types@0.1.0 "violation" (type $violation (;2;)))
  (alias export $kiln:generator/types@0.1.0 "request" (type $request (;3;)))
  (alias export $kiln:generator/types@0.1.0 "generate-error" (type $generate-error (;4;)))
  (core instance $main (;0;) (instantiate $main))
  (alias core export $main "memory" (core memory $memory (;0;)))
  (type (;5;) (func (result $plugin-info)))
  (alias core export $main "kiln:generator/plugin@0.1.0#info" (core func $kiln:generator/plugin@0.1.0#info (;0;)))
  (func $info (;0;) (type 5) (canon lift (core func $kiln:generator/plugin@0.1.0#info) (memory $memory) string-encoding=utf8))
  (type (;6;) (list $violation))
  (type (;7;) (func (param "spec" string) (result 6)))
  (alias core export $main "kiln:generator/plugin@0.1.0#validate" (core func $kiln:generator/plugin@0.1.0#validate (;1;)))
  (alias core export $main "cabi_realloc" (core func $cabi_realloc (;2;)))
  (func $validate (;1;) (type 7) (canon lift (core func $kiln:generator/plugin@0.1.0#validate) (memory $memory) (realloc $cabi_realloc) string-encoding=utf8))
  (type (;8;) (result (error $generate-error)))
  (type (;9;) (func (param "request" $request) (result 8)))
  (alias core export $main "kiln:generator/plugin@0.1.0#generate" (core func $kiln:generator/plugin@0.1.0#generate (;3;)))
  (func $generate (;2;) (type 9) (canon lift (core func $kiln:generator/plugin@0.1.0#generate) (memory $memory) (realloc $cabi_realloc) string-encoding=utf8))
  (alias export $kiln:generator/types@0.1.0 "example" (type $example (;10;)))
  (alias export $kiln:generator/types@0.1.0 "asset-info" (type $asset-info (;11;)))
  (component $kiln:generator/plugin@0.1.0-shim-component (;0;)
    (type (;0;) (record (field "title" string) (field "spec" string)))
    (import "import-type-example" (type (;1;) (eq 0)))
    (type (;2;) (list string))
    (type (;3;) (list 1))
    (type (;4;) (record (field "name" string) (field "version" string) (field "artifact-type" string) (field "summary" string) (field "description" string) (field "media-types" 2) (field "spec-schema" string) (field "examples" 3)))
    (import "import-type-plugin-info" (type (;5;) (eq 4)))
    (type (;6;) (record (field "pointer" string) (field "message" string)))
    (import "import-type-violation" (type (;7;) (eq 6)))
    (type (;8;) (record (field "name" string) (field "media-type" string) (field "size" u64)))
    (import "import-type-asset-info" (type (;9;) (eq 8)))
    (type (;10;) (list 9))
    (type (;11;) (record (field "spec" string) (field "assets" 10)))
    (import "import-type-request" (type (;12;) (eq 11)))
    (type (;13;) (list 7))
    (type (;14;) (variant (case "invalid-spec" 13) (case "unsupported" string) (case "failed" string)))
    (import "import-type-generate-error" (type (;15;) (eq 14)))
    (import "import-type-plugin-info0" (type (;16;) (eq 5)))
    (type (;17;) (func (result 16)))
    (import "import-func-info" (func (;0;) (type 17)))
    (import "import-type-violation0" (type (;18;) (eq 7)))
    (type (;19;) (list 18))
    (type (;20;) (func (param "spec" string) (result 19)))
    (import "import-func-validate" (func (;1;) (type 20)))
    (import "import-type-request0" (type (;21;) (eq 12)))
    (import "import-type-generate-error0" (type (;22;) (eq 15)))
    (type (;23;) (result (error 22)))
    (type (;24;) (func (param "request" 21) (result 23)))
    (import "import-func-generate" (func (;2;) (type 24)))
    (export (;25;) "plugin-info" (type 5))
    (export (;26;) "violation" (type 7))
    (export (;27;) "request" (type 12))
    (export (;28;) "generate-error" (type 15))
    (type (;29;) (func (result 25)))
    (export (;3;) "info" (func 0) (func (type 29)))
    (type (;30;) (list 26))
    (type (;31;) (func (param "spec" string) (result 30)))
    (export (;4;) "validate" (func 1) (func (type 31)))
    (type (;32;) (result (error 28)))
    (type (;33;) (func (param "request" 27) (result 32)))
    (export (;5;) "generate" (func 2) (func (type 33)))
  )
  (instance $kiln:generator/plugin@0.1.0-shim-instance (;1;) (instantiate $kiln:generator/plugin@0.1.0-shim-component
      (with "import-func-info" (func $info))
      (with "import-func-validate" (func $validate))
      (with "import-func-generate" (func $generate))
      (with "import-type-example" (type $example))
      (with "import-type-plugin-info" (type $plugin-info))
      (with "import-type-violation" (type $violation))
      (with "import-type-asset-info" (type $asset-info))
      (with "import-type-request" (type $request))
      (with "import-type-generate-error" (type $generate-error))
      (with "import-type-plugin-info0" (type $plugin-info))
      (with "import-type-violation0" (type $violation))
      (with "import-type-request0" (type $request))
      (with "import-type-generate-error0" (type $generate-error))
    )
  )
  (export $kiln:generator/plugin@0.1.0 (;2;) "kiln:generator/plugin@0.1.0" (instance $kiln:generator/plugin@0.1.0-shim-instance))
  (@producers
    (processed-by "wit-component" "0.263.0")
  )
)
