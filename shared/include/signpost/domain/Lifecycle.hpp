#pragma once
// Lifecycles as data: which status may follow which, who may move it, and whether a reason is
// required. The same tables run on the device (to offer only valid actions, offline) and on the
// server (to refuse invalid ones whatever a client sends).
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace signpost::domain {

enum class Role { Practitioner, Supervisor, Provider, Admin };
const char* toCode(Role role);
std::optional<Role> parseRole(std::string_view code);

// A role set as bits, so a transition can allow several.
using RoleMask = unsigned;
constexpr RoleMask bit(Role r) { return 1u << static_cast<unsigned>(r); }
constexpr RoleMask kAnyRole = 0xFu;

struct Transition {
    std::string_view from;
    std::string_view to;
    RoleMask roles;
    bool reasonRequired = false;
};

class StateMachine {
public:
    constexpr StateMachine(std::string_view name, std::string_view initial, std::span<const Transition> transitions)
        : m_name(name), m_initial(initial), m_transitions(transitions) {}

    std::string_view name() const { return m_name; }
    std::string_view initial() const { return m_initial; }
    std::span<const Transition> transitions() const { return m_transitions; }
    bool knows(std::string_view status) const;
    const Transition* find(std::string_view from, std::string_view to) const;
    // nullopt when `role` may move `from` → `to` with this reason; else a sentence saying why not.
    std::optional<std::string> check(std::string_view from, std::string_view to, Role role,
                                     std::string_view reason) const;

private:
    std::string_view m_name;
    std::string_view m_initial;
    std::span<const Transition> m_transitions;
};

// draft → submitted → returned | approved → sent → accepted | declined → in_progress → completed;
// withdrawn and cancelled from the states where they make sense (DOMAIN.md).
const StateMachine& referralLifecycle();
// A practitioner's "report a change" to the directory: open → accepted | rejected (admins).
const StateMachine& suggestionLifecycle();
// A clash two people made: open → resolved (by a person, through a Resolve op).
const StateMachine& conflictLifecycle();
// An appointment: scheduled → attended | late | absent_acceptable | absent_unacceptable |
// did_not_happen, recorded by the provider (or outreach staff).
const StateMachine& appointmentLifecycle();
// An enforcement alert: open → decided (the practitioner records their decision; Signpost never
// decides).
const StateMachine& alertLifecycle();
// Decisions a practitioner can record on an alert.
inline constexpr std::string_view kAlertDecisions[] = {"no_action", "warning", "breach", "recall_consideration"};

} // namespace signpost::domain
