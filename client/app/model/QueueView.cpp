#include "QueueView.hpp"
#include "I18n.hpp"
#include "Names.hpp"
#include "signpost/sync/Access.hpp"

#include <algorithm>

namespace signpost::app {

namespace {
const char* actionKey(std::string_view machine, std::string_view to) {
    struct Entry {
        std::string_view machine, to;
        const char* key;
    };
    static constexpr Entry kActions[] = {
        {"referral", "submitted", trKey("action.submit")},
        {"referral", "cancelled", trKey("action.cancel")},
        {"referral", "approved", trKey("action.approve")},
        {"referral", "returned", trKey("action.return")},
        {"referral", "withdrawn", trKey("action.withdraw")},
        {"referral", "sent", trKey("action.send")},
        {"referral", "accepted", trKey("action.accept")},
        {"referral", "declined", trKey("action.decline")},
        {"referral", "in_progress", trKey("action.start")},
        {"referral", "completed", trKey("action.complete")},
        {"appointment", "attended", trKey("action.attended")},
        {"appointment", "late", trKey("action.late")},
        {"appointment", "absent_acceptable", trKey("action.absent_acceptable")},
        {"appointment", "absent_unacceptable", trKey("action.absent_unacceptable")},
        {"appointment", "did_not_happen", trKey("action.did_not_happen")},
        {"alert", "decided", trKey("action.record_decision")},
        {"suggestion", "accepted", trKey("action.accept")},
        {"suggestion", "rejected", trKey("action.reject")},
        {"conflict", "resolved", trKey("action.resolve")},
    };
    for (const auto& e : kActions)
        if (e.machine == machine && e.to == to) return e.key;
    return nullptr;
}

bool belongs(QueuePanel panel, std::string_view queue) {
    switch (panel) {
    case QueuePanel::MyReferrals:
        return queue == "drafts" || queue == "submitted" || queue == "returned" || queue == "open";
    case QueuePanel::Alerts: return queue == "alerts";
    case QueuePanel::Supervisor: return queue == "awaiting_review" || queue == "returned" || queue == "approved";
    case QueuePanel::Provider: return queue == "new" || queue == "my_cases" || queue == "today";
    }
    return false;
}
} // namespace

std::vector<QueueSection> sectionsFor(QueuePanel panel, const std::vector<client::Queue>& queues) {
    std::vector<QueueSection> out;
    for (const auto& q : queues) {
        if (!belongs(panel, q.name)) continue;
        // The supervisor view and the practitioner view both have a "returned" queue; a
        // supervisor's My referrals must not show the supervisor's copy twice.
        if (panel == QueuePanel::MyReferrals && q.name == "returned" &&
            std::any_of(queues.begin(), queues.end(), [](const auto& other) { return other.name == "awaiting_review"; }))
            continue;
        QueueSection s;
        s.name = q.name;
        s.titleKey = queueKey(q.name);
        s.total = q.total;
        s.items = q.items;
        for (const auto& item : q.items)
            if (item.daysWaiting > kOverdueDays) ++s.overdue;
        out.push_back(std::move(s));
    }
    return out;
}

bool panelVisibleFor(QueuePanel panel, domain::Role role) {
    using domain::Role;
    switch (panel) {
    case QueuePanel::MyReferrals: return role == Role::Practitioner || role == Role::Supervisor;
    case QueuePanel::Alerts: return role == Role::Practitioner || role == Role::Supervisor;
    case QueuePanel::Supervisor: return role == Role::Supervisor || role == Role::Admin;
    case QueuePanel::Provider: return role == Role::Provider;
    }
    return false;
}

std::vector<ActionOffer> offeredActions(const domain::StateMachine& lifecycle, domain::Role role,
                                        std::string_view status) {
    std::vector<ActionOffer> out;
    for (const auto& t : lifecycle.transitions()) {
        if (t.from != status) continue;
        // The same check the server makes; a placeholder reason lets "needs a reason" pass here
        // (the panel asks for the real one before moving).
        if (lifecycle.check(status, t.to, role, t.reasonRequired ? "reason" : "")) continue;
        ActionOffer offer;
        offer.to = std::string(t.to);
        offer.labelKey = actionKey(lifecycle.name(), t.to);
        offer.reasonRequired = t.reasonRequired;
        offer.needsSharePreview = lifecycle.name() == "referral" && t.to == "sent";
        out.push_back(std::move(offer));
    }
    return out;
}

std::vector<client::LocalStore::Colleague> reassignChoices(const std::vector<client::LocalStore::Colleague>& colleagues,
                                                           const std::string& area, const std::string& currentOwner) {
    std::vector<client::LocalStore::Colleague> out;
    for (const auto& c : colleagues)
        if (c.id != currentOwner && (c.role == "practitioner" || c.role == "supervisor") &&
            sync::areasOverlap(c.areas, area))
            out.push_back(c);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.name != b.name ? a.name < b.name : a.id < b.id;
    });
    return out;
}

std::string ownerLabel(const std::vector<client::LocalStore::Colleague>& colleagues, const std::string& ownerId) {
    for (const auto& c : colleagues)
        if (c.id == ownerId && !c.name.empty()) return c.name + " (" + ownerId + ")";
    return ownerId;
}

} // namespace signpost::app
