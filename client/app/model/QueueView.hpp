#pragma once
// Which queues each queue panel shows, and which actions to offer on an item: only the moves
// the shared lifecycle allows for the user's role (domain::referralLifecycle().check), so the
// device never offers what the server would refuse.
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/Queues.hpp"
#include "signpost/domain/Lifecycle.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace signpost::app {

enum class QueuePanel { MyReferrals, Supervisor, Provider, Alerts };

struct QueueSection {
    std::string name;            // the queue's name ("drafts", "awaiting_review", …)
    const char* titleKey = nullptr;
    size_t total = 0;
    std::vector<client::QueueItem> items;
    size_t overdue = 0;          // items waiting longer than kOverdueDays (supervisor ageing)
};

inline constexpr int kOverdueDays = 5;

// The sections of `queues` that `panel` shows, in the order given: the practitioner's alerts
// queue belongs to the Alerts panel, the rest to My referrals; supervisor and provider queues to
// their panels.
std::vector<QueueSection> sectionsFor(QueuePanel panel, const std::vector<client::Queue>& queues);

// Whether a role sees a panel at all (navigation shows only these).
bool panelVisibleFor(QueuePanel panel, domain::Role role);

struct ActionOffer {
    std::string to;               // target status
    const char* labelKey = nullptr;
    bool reasonRequired = false;
    bool needsSharePreview = false; // sending to a provider: show "what will be shared" first
};

// The transitions `role` may make from `status`, in the lifecycle's order.
std::vector<ActionOffer> offeredActions(const domain::StateMachine& lifecycle, domain::Role role,
                                        std::string_view status);

// Who a supervisor may hand a referral in `area` to: colleagues working there, except its current
// owner, by name. The server checks the same (OpApplier::ownerProblem).
std::vector<client::LocalStore::Colleague> reassignChoices(const std::vector<client::LocalStore::Colleague>& colleagues,
                                                           const std::string& area, const std::string& currentOwner);
// "Name (id)" for a user id, or the id alone when the device does not know the name.
std::string ownerLabel(const std::vector<client::LocalStore::Colleague>& colleagues, const std::string& ownerId);

} // namespace signpost::app
