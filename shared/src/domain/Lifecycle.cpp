#include "signpost/domain/Lifecycle.hpp"

#include <array>

namespace signpost::domain {

namespace {
constexpr const char* kRoles[] = {"practitioner", "supervisor", "provider", "admin"};

constexpr RoleMask P = bit(Role::Practitioner);
constexpr RoleMask S = bit(Role::Supervisor);
constexpr RoleMask V = bit(Role::Provider);
constexpr RoleMask A = bit(Role::Admin);

constexpr std::array kReferral{
    Transition{"draft", "submitted", P | S},
    Transition{"draft", "cancelled", P | S},
    Transition{"submitted", "approved", S},
    Transition{"submitted", "returned", S, true},
    Transition{"submitted", "withdrawn", P | S, true},
    Transition{"returned", "submitted", P | S},
    Transition{"returned", "cancelled", P | S, true},
    Transition{"approved", "sent", P | S},
    Transition{"approved", "withdrawn", P | S, true},
    Transition{"sent", "accepted", V},
    Transition{"sent", "declined", V, true},
    Transition{"sent", "withdrawn", P | S, true},
    Transition{"declined", "approved", S},  // the supervisor chooses another provider
    Transition{"declined", "cancelled", P | S, true},
    Transition{"accepted", "in_progress", V},
    Transition{"accepted", "withdrawn", P | S, true},
    Transition{"in_progress", "completed", V},
    Transition{"in_progress", "withdrawn", P | S, true},
};

constexpr std::array kSuggestion{
    Transition{"open", "accepted", A | S},
    Transition{"open", "rejected", A | S, true},
};

constexpr std::array kConflict{
    Transition{"open", "resolved", P | S | V | A},
};

constexpr std::array kAppointment{
    Transition{"scheduled", "attended", V | P | S},
    Transition{"scheduled", "late", V | P | S},
    Transition{"scheduled", "absent_acceptable", V | P | S},
    Transition{"scheduled", "absent_unacceptable", V | P | S},
    Transition{"scheduled", "did_not_happen", V | P | S, true},
};

constexpr std::array kAlert{
    Transition{"open", "decided", P | S},
};

const StateMachine kReferralMachine{"referral", "draft", kReferral};
const StateMachine kSuggestionMachine{"suggestion", "open", kSuggestion};
const StateMachine kConflictMachine{"conflict", "open", kConflict};
const StateMachine kAppointmentMachine{"appointment", "scheduled", kAppointment};
const StateMachine kAlertMachine{"alert", "open", kAlert};
} // namespace

const char* toCode(Role role) { return kRoles[static_cast<int>(role)]; }

std::optional<Role> parseRole(std::string_view code) {
    for (int i = 0; i < 4; ++i)
        if (code == kRoles[i]) return static_cast<Role>(i);
    return std::nullopt;
}

bool StateMachine::knows(std::string_view status) const {
    if (status == m_initial) return true;
    for (const auto& t : m_transitions)
        if (t.from == status || t.to == status) return true;
    return false;
}

const Transition* StateMachine::find(std::string_view from, std::string_view to) const {
    for (const auto& t : m_transitions)
        if (t.from == from && t.to == to) return &t;
    return nullptr;
}

std::optional<std::string> StateMachine::check(std::string_view from, std::string_view to, Role role,
                                               std::string_view reason) const {
    if (!knows(to)) return "\"" + std::string(to) + "\" is not a " + std::string(m_name) + " status";
    const Transition* t = find(from, to);
    if (!t) {
        return "a " + std::string(m_name) + " that is " + std::string(from) + " cannot become " + std::string(to);
    }
    if (!(t->roles & bit(role)))
        return "a " + std::string(toCode(role)) + " cannot move a " + std::string(m_name) + " from " + std::string(from) +
               " to " + std::string(to);
    if (t->reasonRequired && reason.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return "moving a " + std::string(m_name) + " to " + std::string(to) + " needs a reason";
    return std::nullopt;
}

const StateMachine& referralLifecycle() { return kReferralMachine; }
const StateMachine& suggestionLifecycle() { return kSuggestionMachine; }
const StateMachine& conflictLifecycle() { return kConflictMachine; }
const StateMachine& appointmentLifecycle() { return kAppointmentMachine; }
const StateMachine& alertLifecycle() { return kAlertMachine; }

} // namespace signpost::domain
