#pragma once
// Every panel of the client, registered in one place (makePanels), ImHex-style.
#include "../../model/QueueView.hpp"
#include "../../model/ReferralForm.hpp"
#include "../../model/SearchFilters.hpp"
#include "../Panel.hpp"

#include "signpost/directory/Search.hpp"
#include "signpost/domain/Directory.hpp"
#include "signpost/sync/Protocol.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace signpost::app {

class App;

std::vector<std::unique_ptr<Panel>> makePanels(App& app);

// ------------------------------------------------------------------------------------ find

struct ServiceDetail {
    domain::Service service;
    std::optional<domain::Organisation> organisation;
    nlohmann::json organisationRecord; // the synced organisation record (ISA), or null
    std::optional<int> daysSinceVerified;
    bool openNow = false;
};

class FindPanel final : public Panel {
public:
    FindPanel() : Panel("find", trKey("panel.find"), trKey("tab.find")) {}
    void onShow(UiContext& ctx) override;
    bool showingDetail() const override { return m_showDetail; }
    void back() override { m_showDetail = false; }

    // --- for the script runner and the benchmark ---
    FilterState& filters() { return m_filters; }
    const std::vector<directory::SearchResult>& results() const { return m_results; }
    bool searching() const { return m_searchInFlight || m_filters != m_searched; }
    void select(UiContext& ctx, const std::string& serviceId);
    const std::optional<ServiceDetail>& detail() const { return m_detail; }
    void referSelected(UiContext& ctx);
    void openReportChange() { m_reportOpen = true; }

protected:
    void drawContent(UiContext& ctx) override;

private:
    void runSearch(UiContext& ctx);
    void drawSearchBox(UiContext& ctx);
    void drawFilters(UiContext& ctx);
    void drawResults(UiContext& ctx);
    void drawDetail(UiContext& ctx);
    void drawReportChange(UiContext& ctx);

    FilterState m_filters;
    FilterState m_searched;        // what the results are for
    bool m_neverSearched = true;
    bool m_searchInFlight = false;
    uint64_t m_searchGeneration = 0;
    uint64_t m_dataGeneration = 0;
    std::vector<directory::SearchResult> m_results;
    bool m_capped = false;
    double m_searchMs = 0;
    bool m_postcodeUnknown = false;
    std::vector<const char*> m_problems;
    bool m_filtersOpen = false;
    std::string m_selectedId;
    std::optional<ServiceDetail> m_detail;
    bool m_detailLoading = false;
    bool m_showDetail = false;
    bool m_focusSearch = true;
    std::string m_textShown; // the search text as the field last showed it
    // "Report a change"
    bool m_reportOpen = false;
    int m_reportField = 0;
    std::string m_reportProposed;
    std::string m_reportNote;
};

// --------------------------------------------------------------------------- referral editor

class ReferralEditorPanel final : public Panel {
public:
    ReferralEditorPanel() : Panel("referral", trKey("panel.referral"), trKey("tab.referral")) {}
    bool visibleFor(const UiContext& ctx) const override;
    void tick(UiContext& ctx) override;
    void beforeLock(UiContext& ctx) override {
        if (m_dirty) save(ctx);
    }

    // A new draft for this service, or, when the open draft is waiting for a service, that one.
    void referTo(UiContext& ctx, const domain::Service& service, const std::string& serviceName);
    // Opens an existing referral (audited view): editable while a draft or returned.
    void open(UiContext& ctx, const std::string& id);
    bool hasReferral() const { return m_open; }
    const std::string& referralId() const { return m_id; }
    domain::Referral& referral() { return m_ref; }
    // Marks fields changed (the script fills fields directly).
    void changed(UiContext& ctx, const std::string& field);
    void setStep(UiContext& ctx, Step step);
    Step step() const { return m_step; }
    bool saved() const { return m_open && !m_dirty && !m_saving && m_lastSaveOk; }
    // Submit: validates everything, then asks "what will be shared" before it goes.
    void submit(UiContext& ctx);
    // The confirmation's "Submit for review".
    void confirmSubmit(UiContext& ctx);
    bool sharePreviewShown() const { return m_share.has_value(); }
    const std::string& lastError() const { return m_saveError; }

protected:
    void drawContent(UiContext& ctx) override;

private:
    void save(UiContext& ctx);
    void drawEmpty(UiContext& ctx);
    void drawSteps(UiContext& ctx, const FormCheck& check);
    void drawPerson(UiContext& ctx, const FormCheck& check);
    void drawOrder(UiContext& ctx, const FormCheck& check);
    void drawNeeds(UiContext& ctx, const FormCheck& check);
    void drawProvider(UiContext& ctx, const FormCheck& check);
    void drawReview(UiContext& ctx, const FormCheck& check);
    void drawSaveState(UiContext& ctx);
    void drawShareConfirm(UiContext& ctx);
    void loadSharePreview(UiContext& ctx);
    const FieldMessage* message(const FormCheck& check, const char* field) const;

    bool m_open = false;
    bool m_readOnly = false;
    std::string m_id;
    bool m_created = false;      // a create for m_id has been queued
    domain::Referral m_ref;
    std::string m_status = "draft";
    std::string m_serviceName;
    std::string m_organisationName;
    std::set<std::string> m_touched;
    bool m_showAll = false;
    Step m_step = Step::Person;
    bool m_dirty = false;
    double m_dirtySince = 0;
    bool m_saving = false;
    bool m_lastSaveOk = false;
    std::string m_saveError;
    double m_savedAt = 0;
    bool m_confirmOpen = false;
    bool m_closeConfirm = false;
    std::optional<SharePreview> m_share;
    bool m_confirmDiscard = false;
};

// ---------------------------------------------------------------------------------- queues

struct QueueEntry {
    client::QueueItem item;
    std::string serviceName; // resolved in the worker, in both languages
    std::string serviceNameCy;
};

struct QueueSectionView {
    std::string name;
    const char* titleKey = nullptr;
    size_t total = 0;
    size_t overdue = 0;
    std::vector<QueueEntry> entries;
};

// An opened item: the record as LocalStore::view returned it (people's details revealed and the
// view audited), plus appointments for a referral.
struct OpenedItem {
    sync::Record record;
    std::vector<sync::Record> appointments;
    std::string serviceName;
    std::string organisationName;
    nlohmann::json organisationRecord;
    std::string ownerLabel;                                     // the owner by name, where known
    std::vector<client::LocalStore::Colleague> reassignChoices; // who it can be handed to
};

class QueuePanelBase : public Panel {
public:
    QueuePanelBase(std::string key, const char* titleKey, const char* tabKey, QueuePanel kind)
        : Panel(std::move(key), titleKey, tabKey), m_kind(kind) {}
    bool visibleFor(const UiContext& ctx) const override;
    void tick(UiContext& ctx) override;
    size_t badge(const UiContext&) const override { return m_badge; }
    bool showingDetail() const override { return m_showDetail; }
    void back() override { m_showDetail = false; }
    const std::vector<QueueSectionView>& sections() const { return m_sections; }
    bool loaded() const { return m_loaded; }
    void select(UiContext& ctx, const std::string& collection, const std::string& id);
    const std::optional<OpenedItem>& opened() const { return m_opened; }
    // What the open item's button for `to` does (the script runner presses it): moves it at once,
    // or opens the modal for a reason or the share preview. False when no such move is offered.
    bool act(UiContext& ctx, const std::string& to, const std::string& reason = {});
    bool actionPending() const { return m_action.has_value(); }
    // The modal's confirming button.
    void confirmAction(UiContext& ctx);
    // Provider: book an appointment on the open referral ("YYYY-MM-DD HH:MM", UTC).
    bool bookAppointment(UiContext& ctx, const std::string& when, const std::string& where);
    // Attendance on one of the open referral's appointments.
    bool actOnAppointment(UiContext& ctx, const std::string& id, const std::string& to, const std::string& reason = {});
    // Practitioner: the decision on the open alert (an index into domain::kAlertDecisions).
    bool recordDecision(UiContext& ctx, int decision, const std::string& note);
    // Amends a field of the open referral (with a reason once it was sent). False when
    // amendmentProblem() finds something wrong (nothing is saved).
    bool amend(UiContext& ctx, const std::string& field, const std::string& value, const std::string& reason);
    // Moves one of the open item's appointments ("YYYY-MM-DD HH:MM", UTC) with a reason.
    bool reschedule(UiContext& ctx, const std::string& appointmentId, const std::string& when,
                    const std::string& reason);
    // What "Show amendment history" and an appointment's "Reschedule" button do.
    void showAmendmentHistory(bool show) {
        m_showHistory = show;
        m_scrollToHistory = show;
    }
    void openReschedule(const std::string& appointmentId, const std::string& when, const std::string& reason) {
        m_rescheduleId = appointmentId;
        m_rescheduleWhen = when;
        m_rescheduleReason = reason;
    }

protected:
    void drawContent(UiContext& ctx) override;
    void load(UiContext& ctx);
    void drawList(UiContext& ctx);
    void drawDetail(UiContext& ctx);
    void drawReferral(UiContext& ctx);
    void drawAppointment(UiContext& ctx, const sync::Record& appointment, bool inReferral);
    void drawAlert(UiContext& ctx);
    void drawAmend(UiContext& ctx);
    void drawAmendmentHistory(UiContext& ctx);
    void drawActionModal(UiContext& ctx);
    void transition(UiContext& ctx, const std::string& collection, const std::string& id, const std::string& to,
                    const std::string& reason);
    void update(UiContext& ctx, const std::string& collection, const std::string& id, nlohmann::json fields,
                const std::string& reason, const char* doneKey);

    QueuePanel m_kind;
    uint64_t m_loadedGeneration = 0;
    bool m_loading = false;
    bool m_loaded = false;
    std::vector<QueueSectionView> m_sections;
    size_t m_badge = 0;
    std::string m_selCollection, m_selId;
    std::optional<OpenedItem> m_opened;
    bool m_openLoading = false;
    bool m_showDetail = false;
    bool m_reopen = false;
    bool m_closeAction = false;
    // The modal for a move that needs more (a reason, the share preview, a decision).
    struct PendingAction {
        std::string collection, id, to;
        const char* labelKey = nullptr;
        bool reasonRequired = false;
        bool sharePreview = false;
        std::string reason;
    };
    std::optional<PendingAction> m_action;
    std::string m_reassignTo;
    int m_reassignIndex = 0;
    std::string m_apptWhen, m_apptWhere;
    int m_decision = -1;
    std::string m_decisionNote;
    // Amending a sent referral, and its history (shown when asked for).
    int m_amendField = -1;
    std::string m_amendValue, m_amendReason;
    bool m_showHistory = false;
    bool m_scrollToHistory = false; // bring the history into view once, when it is opened
    // Rescheduling an appointment (the one whose form is open).
    std::string m_rescheduleId, m_rescheduleWhen, m_rescheduleReason;
};

class MyReferralsPanel final : public QueuePanelBase {
public:
    MyReferralsPanel() : QueuePanelBase("my_referrals", trKey("panel.my_referrals"), trKey("tab.my_referrals"), QueuePanel::MyReferrals) {}
};
class SupervisorPanel final : public QueuePanelBase {
public:
    SupervisorPanel() : QueuePanelBase("supervisor", trKey("panel.supervisor"), trKey("tab.supervisor"), QueuePanel::Supervisor) {}
};
class ProviderPanel final : public QueuePanelBase {
public:
    ProviderPanel() : QueuePanelBase("provider", trKey("panel.provider"), trKey("tab.provider"), QueuePanel::Provider) {}
};
class AlertsPanel final : public QueuePanelBase {
public:
    AlertsPanel() : QueuePanelBase("alerts", trKey("panel.alerts"), trKey("tab.alerts"), QueuePanel::Alerts) {}
};

// ------------------------------------------------------------------------------- conflicts

class ConflictsPanel final : public Panel {
public:
    ConflictsPanel() : Panel("conflicts", trKey("panel.conflicts"), trKey("tab.conflicts")) {}
    void tick(UiContext& ctx) override;
    size_t badge(const UiContext&) const override { return m_conflicts.size(); }
    bool showingDetail() const override { return m_showDetail; }
    void back() override { m_showDetail = false; }
    const std::vector<sync::Record>& conflicts() const { return m_conflicts; }
    // What choosing a conflict in the list does (the script runner too).
    void select(const std::string& id);
    std::string& mergedText() { return m_merged; }
    // "Keep this text" for the selected conflict.
    void keepMerged(UiContext& ctx);

protected:
    void drawContent(UiContext& ctx) override;

private:
    void resolve(UiContext& ctx, const std::string& id, nlohmann::json value);
    uint64_t m_loadedGeneration = 0;
    bool m_loading = false;
    std::vector<sync::Record> m_conflicts;
    std::string m_selected;
    std::string m_merged;
    bool m_showDetail = false;
};

// --------------------------------------------------------------------- reported changes

// A reported change to the directory ("suggestion"), with its service's name.
struct SuggestionView {
    sync::Record record;
    std::string serviceName, serviceNameCy;
};

// Supervisors and admins accept or reject the changes people reported (Find a provider →
// Report a change). One column at any width; every button is a full target.
class SuggestionsPanel final : public Panel {
public:
    SuggestionsPanel() : Panel("suggestions", trKey("panel.suggestions"), trKey("tab.suggestions")) {}
    bool visibleFor(const UiContext& ctx) const override;
    void tick(UiContext& ctx) override;
    size_t badge(const UiContext&) const override { return m_items.size(); }
    const std::vector<SuggestionView>& items() const { return m_items; }
    void accept(UiContext& ctx, const std::string& id);
    // False (and nothing sent) while the reason is blank.
    bool reject(UiContext& ctx, const std::string& id, const std::string& reason);

protected:
    void drawContent(UiContext& ctx) override;

private:
    void decide(UiContext& ctx, const std::string& id, const std::string& to, const std::string& reason);
    uint64_t m_loadedGeneration = 0;
    bool m_loading = false;
    bool m_loaded = false;
    std::vector<SuggestionView> m_items;
    std::set<std::string> m_deciding; // sent to the worker, not yet reloaded
    std::string m_rejectId, m_rejectReason;
};

// -------------------------------------------------------------------------------- settings

class SettingsPanel final : public Panel {
public:
    SettingsPanel() : Panel("settings", trKey("panel.settings"), trKey("tab.settings")) {}

protected:
    void drawContent(UiContext& ctx) override;

private:
    std::string m_serverUrl;
    bool m_serverEdited = false;
    int m_textSize = 0;
};

// --------------------------------------------------------------------------------- sign-in

class SignInScreen final : public Panel {
public:
    SignInScreen() : Panel("sign_in", trKey("panel.sign_in"), trKey("panel.sign_in")) {}
    void drawScreen(UiContext& ctx) { draw(ctx); }
    std::string& passphrase() { return m_passphrase; }
    void submitUnlock(UiContext& ctx);
    // The first sign-in form, as the person fills it (the script runner too).
    void fillSignIn(const std::string& server, const std::string& username, const std::string& password,
                    const std::string& passphrase);
    void submitSignIn(UiContext& ctx);

protected:
    void drawContent(UiContext& ctx) override;

private:
    std::string m_server;
    std::string m_username;
    std::string m_password;
    std::string m_passphrase;
    std::string m_newPassphrase;
    bool m_serverFilled = false;
    bool m_focus = true;
};

} // namespace signpost::app
