#pragma once
// The members of a JSON object's text, each as it stands in the text, without building objects.
//
// For text nlohmann's parser has already accepted: a pull page is read with its SAX parser first,
// and only then are a record's fields split here to seal its personal values in place. So this
// checks shape, not grammar: it finds where each name and value begins and ends (strings with
// their escapes, nested objects and arrays, bare numbers and literals), never reads past the
// text, and throws signpost::Error (Parse) for text that is not one object.
#include <functional>
#include <string>
#include <string_view>

namespace signpost::jsontext {

// Calls visit(name, value) for each member in order. `name` keeps its quotes and escapes as
// written; `value` is the value's text with no surrounding space. Repeated names are visited
// each time (a JSON reader keeps the last).
void forEachMember(std::string_view object, const std::function<void(std::string_view name, std::string_view value)>& visit);

// Calls visit(value) for each element of a JSON array's text, in order, as forEachMember does
// for an object's values. Throws signpost::Error (Parse) for text that is not one array.
void forEachElement(std::string_view array, const std::function<void(std::string_view value)>& visit);

// Appends `s` as a JSON string, exactly as nlohmann's dump() writes it: plain ASCII as it is;
// anything needing an escape, or beyond ASCII, through the library (which refuses invalid UTF-8).
void appendQuoted(std::string& out, std::string_view s);

// A member name as text (quotes and escapes as written) → the name itself.
std::string unquoteName(std::string_view name);

} // namespace signpost::jsontext
