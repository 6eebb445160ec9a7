# Every dependency comes from Debian 12 packages (tools/dev installs them); nothing is vendored
# or downloaded. Each lookup names the package that provides it so a failure says what to install.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# libsqlite3-dev: FTS5, JSON1, RTREE and the session extension are compiled into Debian's build.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3>=3.40)
# nlohmann-json3-dev: JSON for HSDS import/export and the sync protocol codec.
find_package(nlohmann_json 3.11 REQUIRED)
# libsimdjson-dev: reads a large HSDS feed's records several times faster than nlohmann's lexer;
# the values are still built as nlohmann::json (shared/util/JsonParse.hpp).
find_package(simdjson 3.0 REQUIRED)
# libsodium-dev: Argon2id, XChaCha20-Poly1305, random ids.
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# zlib1g-dev: gzip bodies on the sync wire.
find_package(ZLIB REQUIRED)
# libssl-dev: base64 of sealed values (shared/), and TLS beside cpprestsdk in the server.
find_package(OpenSSL REQUIRED)

# libgoogle-perftools-dev: tcmalloc (minimal: the allocator alone) in place of glibc's malloc for
# every executable. A load makes and frees millions of small strings across threads; with it a
# 100,000-service import takes 0.85x the time and a seed 0.92x (docs/benchmarks.md). Not under
# a sanitizer (SIGNPOST_SANITIZE, or -fsanitize in CMAKE_CXX_FLAGS), which brings its own.
option(SIGNPOST_TCMALLOC "Link tcmalloc_minimal into the executables" ON)
add_library(signpost_allocator INTERFACE)
set(SIGNPOST_WITH_TCMALLOC OFF)
if(SIGNPOST_TCMALLOC AND NOT SIGNPOST_SANITIZE AND NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")
  set(SIGNPOST_WITH_TCMALLOC ON)
  pkg_check_modules(TCMALLOC REQUIRED IMPORTED_TARGET libtcmalloc_minimal)
  target_link_libraries(signpost_allocator INTERFACE PkgConfig::TCMALLOC)
endif()

# libcurl4-openssl-dev: the client sync transport (client/core, linked by signpost-cli too).
find_package(CURL REQUIRED)

if(SIGNPOST_BUILD_SERVER)
  # libcpprest-dev: the server's http_listener. Its CMake config does not carry OpenSSL, so the
  # server links OpenSSL::SSL and OpenSSL::Crypto itself.
  find_package(cpprestsdk REQUIRED)
endif()

if(SIGNPOST_BUILD_CLIENT)
  # libglfw3-dev, libimgui-dev (ships the GLFW and OpenGL3 backends and imgui_stdlib in libimgui.a).
  pkg_check_modules(GLFW3 REQUIRED IMPORTED_TARGET glfw3)
  pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)
  find_package(OpenGL REQUIRED)
endif()

if(SIGNPOST_BUILD_TESTS)
  # doctest-dev
  find_package(doctest REQUIRED)
endif()
