#pragma once
// What syncs: each collection's fields and how concurrent edits of them merge.
//
//  - Text fields (free text a person wrote): two concurrent edits become a conflict record
//    (base, mine, theirs) that syncs to both people; the field keeps the value that arrived first
//    until a person resolves it.
//  - Value fields (codes, dates, numbers, lists): the server's order wins and the value it
//    replaced is kept in an auto-resolved conflict record, so nothing is dropped silently.
//  - status moves only through the collection's lifecycle (domain/Lifecycle.hpp).
// Fields marked personal identify a person on probation: encrypted at rest on devices and shared
// with providers only as an ISA allows.
#include "signpost/domain/Lifecycle.hpp"

#include <span>
#include <string_view>

namespace signpost::sync {

enum class FieldKind { Text, Value };

struct FieldSpec {
    std::string_view name;
    FieldKind kind;
    bool personal = false;
};

enum class ScopeKind {
    Everyone,    // the directory: every signed-in user reads it
    Referral,    // area / owner / provider organisation, per role
    Suggestion,  // its author, supervisors and admins
    Conflict,    // whoever may read the record it is about
    Audit,       // admins (inspection); devices only ever add to it
};

struct CollectionSpec {
    std::string_view name;
    std::span<const FieldSpec> fields;
    const domain::StateMachine* lifecycle; // nullptr: no status
    ScopeKind scope;
    const FieldSpec* field(std::string_view name) const;
};

std::span<const CollectionSpec> collections();
const CollectionSpec* findCollection(std::string_view name);

// Fields the server derives and clients may not set directly.
inline constexpr std::string_view kServerFields[] = {"sent_at", "submitted_at", "created_by", "history", "amendments"};

} // namespace signpost::sync
