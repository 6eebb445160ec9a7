#pragma once
// The members of a JSON object's text, each as it stands in the text, without building objects.
//
// For text whose grammar is already known good (surelyValid, or text nlohmann's parser accepted
// or wrote): a pull page is checked first, then walked here into records, and a record's fields
// are split here to seal its personal values in place. So the walk checks shape, not grammar: it
// finds where each name and value begins and ends (strings with their escapes, nested objects
// and arrays, bare numbers and literals), never reads past the text, and throws signpost::Error
// (Parse) for text that is not one object.
#include <functional>
#include <string>
#include <string_view>

namespace signpost::jsontext {

// True only for text that is one well-formed JSON value that nlohmann's parser accepts (RFC 8259,
// UTF-8). SQLite's JSON parser checks the grammar (about seven times nlohmann's speed), and this
// what nlohmann refuses and SQLite lets pass: ill-formed UTF-8, an unpaired surrogate escape, a
// number beyond a double. False also for what it leaves to a full parse: a number too small for
// a double (nlohmann reads 0), a byte-order mark, a NUL after the value (where both stop
// reading), nesting deeper than SQLite's limit. So a false says "read it with nlohmann", not "it
// is wrong": for trusting a quick reading of the text (below).
bool surelyValid(std::string_view text);

// Calls visit(name, value) for each member in order. `name` keeps its quotes and escapes as
// written; `value` is the value's text with no surrounding space. Repeated names are visited
// each time (a JSON reader keeps the last).
void forEachMember(std::string_view object, const std::function<void(std::string_view name, std::string_view value)>& visit);

// Calls visit(value) for each element of a JSON array's text, in order, as forEachMember does
// for an object's values. Throws signpost::Error (Parse) for text that is not one array.
void forEachElement(std::string_view array, const std::function<void(std::string_view value)>& visit);

// The same reading for nested text in one pass, each byte read once: the object (or array) that
// starts at text[at] (after any space); `visit` gets each member's name (as written) or each
// element, and the index its value starts at, and returns the index just past that value: its
// own reading's end, or valueEnd(text, value) when it has no use for the value. Returns the
// index just past the closing bracket. Throws signpost::Error as forEachMember does.
size_t walkObject(std::string_view text, size_t at, const std::function<size_t(std::string_view name, size_t value)>& visit);
size_t walkArray(std::string_view text, size_t at, const std::function<size_t(size_t value)>& visit);
// The index just past the value that starts at text[at].
size_t valueEnd(std::string_view text, size_t at);

// Appends `s` as a JSON string, exactly as nlohmann's dump() writes it: plain ASCII as it is;
// anything needing an escape, or beyond ASCII, through the library (which refuses invalid UTF-8).
void appendQuoted(std::string& out, std::string_view s);

// A member name as text (quotes and escapes as written) → the name itself.
std::string unquoteName(std::string_view name);

} // namespace signpost::jsontext
