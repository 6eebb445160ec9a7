# Warnings for Signpost's own targets only: third-party headers come in as SYSTEM includes
# (Debian's packages), so -Werror never trips on code we do not own.
add_library(signpost_warnings INTERFACE)
target_compile_options(signpost_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
# (-Wnull-dereference is left out: GCC 12 reports false positives inside libstdc++ streams.)
if(SIGNPOST_WERROR)
  target_compile_options(signpost_warnings INTERFACE -Werror)
endif()

if(SIGNPOST_SANITIZE)
  # -fno-sanitize-recover makes UBSan findings fail the test instead of scrolling past.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
