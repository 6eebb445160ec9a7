#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/BoundedQueue.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace signpost::directory {

using namespace signpost::domain;
using SV = std::string_view;

namespace {

// splitmix64: tiny, fast, and the same sequence on every platform (std distributions are not).
struct Rng {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    size_t below(size_t n) { return static_cast<size_t>(next() % n); }
    double unit() { return static_cast<double>(next() >> 11) / static_cast<double>(1ull << 53); }
    bool chance(double p) { return unit() < p; }
    template <typename T, size_t N> const T& pick(const std::array<T, N>& items) { return items[below(N)]; }
};

constexpr std::array<SV, 36> kOrgStems{
    "Ashworth", "Beacon",    "Brightside", "Cedar",      "Compass",   "Crossroads", "Daybreak",   "Evergreen",  "Fresh Start",
    "Harbour",  "Horizon",   "Keystone",   "Lighthouse", "Meridian",  "New Leaf",   "Northstar",  "Oakwood",    "Pathways",
    "Phoenix",  "Riverside", "Springboard", "Threshold", "Unity",     "Waypoint",   "Willow",     "Yr Enfys",   "Cwtch",
    "Gobaith",  "Cam Nesaf", "Drws Agored", "Milestone", "Open Road", "Second Chance", "Anchor",  "Kindred",    "Landmark"};
constexpr std::array<SV, 16> kOrgKinds{
    "Community Trust", "Foundation",        "Advice Centre",   "Housing Association", "Recovery Network", "Partnership",
    "Charity",         "Careers Service",   "Credit Union",    "Family Service",      "Wellbeing Collective",
    "Social Enterprise", "Women's Centre",  "Mentoring Project", "Project",            "Trust"};

struct NeedText {
    SV code;
    std::array<SV, 4> nouns;
    std::array<SV, 5> sentences;
    SV keywords;
    SV nounCy;
};

constexpr std::array kNeedTexts{
    NeedText{"accommodation",
             {"Housing Advice", "Supported Accommodation", "Tenancy Support", "Homelessness Prevention"},
             {"We help people find and keep a safe place to live after prison or while on a community order.",
              "Support includes finding a tenancy, dealing with landlords and preventing eviction.",
              "Caseworkers can help with housing applications, deposits and rent arrears.",
              "Emergency accommodation can be arranged for people who would otherwise sleep rough.",
              "Move-on support helps people settle into their own home and manage a tenancy."},
             "housing homeless tenancy hostel landlord",
             "Cyngor Tai"},
    NeedText{"ete",
             {"Employment Support", "Skills and Training", "Careers Coaching", "Work Placements"},
             {"We help people into work, training and education, including those with convictions.",
              "Coaches help with CVs, disclosure of convictions, applications and interviews.",
              "Short courses build confidence, basic skills, digital skills and qualifications.",
              "Work placements and volunteering are available with local employers.",
              "Support continues for the first months in a new job."},
             "jobs employment training education skills cv interview",
             "Cymorth Cyflogaeth"},
    NeedText{"finance",
             {"Debt Advice", "Benefits Advice", "Money Management", "Welfare Rights"},
             {"Advisers help with debt, benefit claims, budgeting and dealing with creditors.",
              "We can negotiate affordable repayment plans and help with fines and court costs.",
              "Support to claim Universal Credit and other benefits, and to challenge sanctions.",
              "Help to open a bank account and manage money on release from custody.",
              "Free, confidential and impartial money advice from trained advisers."},
             "debt benefits money budgeting universal credit bank",
             "Cyngor Dyledion"},
    NeedText{"dependency",
             {"Recovery Service", "Drug and Alcohol Support", "Substance Misuse Service", "Peer Recovery"},
             {"Confidential support for people who want to change their drug or alcohol use.",
              "Key workers offer one to one recovery planning, harm reduction and relapse prevention.",
              "Peer support groups are led by people with lived experience of recovery.",
              "We work with prescribing services, GPs and mutual aid groups in the area.",
              "Support is available before release and continues in the community."},
             "drugs alcohol substance misuse recovery addiction harm reduction",
             "Gwasanaeth Adferiad"},
    NeedText{"wellbeing",
             {"Wellbeing Service", "Community Support", "Peer Support", "Wellbeing Hub"},
             {"Practical and emotional support to help people build a stable, positive life.",
              "Key workers help people set goals and connect with local activities and services.",
              "Group sessions cover confidence, healthy routines and positive relationships.",
              "Support is tailored to each person and reviewed with their probation practitioner.",
              "We offer a welcoming space where people can get help with several needs at once."},
             "wellbeing support confidence goals",
             "Gwasanaeth Llesiant"},
    NeedText{"wellbeing.emotional",
             {"Emotional Wellbeing", "Counselling", "Mental Health Support", "Talking Therapies"},
             {"Counsellors offer a safe space to talk about anxiety, low mood, trauma and loss.",
              "Support to manage stress and emotions and to access mental health services.",
              "Sessions help people recognise triggers and develop coping strategies.",
              "We can help people register with a GP and attend health appointments.",
              "Group and one to one sessions are available, with longer support for complex needs."},
             "mental health anxiety depression counselling trauma",
             "Cymorth Iechyd Meddwl"},
    NeedText{"wellbeing.family",
             {"Family Support", "Relationships Service", "Parenting Support", "Family Mediation"},
             {"We support people to rebuild relationships with partners, children and family.",
              "Mediation helps families talk through conflict and plan for the future.",
              "Parenting courses and support for contact with children.",
              "Support for families of people in prison and on release.",
              "We help people to keep in touch with family during and after a sentence."},
             "family children parenting relationships mediation",
             "Cymorth i Deuluoedd"},
    NeedText{"wellbeing.social",
             {"Social Inclusion", "Community Connections", "Befriending", "Community Activities"},
             {"We help people who feel isolated to connect with their community.",
              "Befrienders meet people regularly for a chat, a walk or a coffee.",
              "Activities include sport, art, gardening and volunteering.",
              "Support to join local groups, clubs and faith communities.",
              "We help people build a network of positive friends and contacts."},
             "isolation lonely community volunteering befriending",
             "Cysylltiadau Cymunedol"},
    NeedText{"wellbeing.lifestyle",
             {"Lifestyle Coaching", "Positive Associates", "Healthy Choices", "Routine Building"},
             {"Coaching helps people move away from negative peer groups and risky situations.",
              "We help people build healthy routines, sleep well and look after their health.",
              "Sessions explore positive activities and ways to use free time well.",
              "Support to make healthier choices about diet, exercise and smoking.",
              "Key workers help people plan their week and stick to appointments."},
             "lifestyle associates peers routine health",
             "Ffordd o Fyw"},
    NeedText{"wellbeing.mentoring",
             {"Mentoring", "Peer Mentoring", "Through the Gate Mentoring", "Mentoring Service"},
             {"Trained mentors, many with lived experience, meet people regularly.",
              "Mentors can meet people at the prison gate on the day of release.",
              "A mentor helps people get to appointments and settle back into the community.",
              "Mentoring usually lasts three to six months and can be extended.",
              "Volunteer mentors are matched carefully and supervised by staff."},
             "mentor mentoring peer lived experience release",
             "Mentora"},
    NeedText{"wellbeing.behaviour",
             {"Behaviour Change Programme", "Emotional Regulation", "Decision Making Course", "Thinking Skills"},
             {"Structured sessions help people understand and change patterns of behaviour.",
              "Courses cover emotional regulation, anger, impulsivity and decision making.",
              "Practical exercises help people manage conflict and stay calm under pressure.",
              "We help people think through consequences and plan positive choices.",
              "Sessions complement the work people do with their probation practitioner."},
             "behaviour anger decisions thinking skills regulation",
             "Newid Ymddygiad"},
    NeedText{"women",
             {"Women's Centre", "Women's Support", "Women's Service", "Women's Hub"},
             {"A women-only service offering support with every need in one place.",
              "Women can get help with housing, money, wellbeing, relationships and recovery.",
              "Trauma-informed support from women workers in a safe, welcoming space.",
              "Childcare support and help for mothers with contact and family court.",
              "Support for women affected by domestic abuse and exploitation."},
             "women womens female mothers trauma domestic abuse",
             "Canolfan i Fenywod"},
};

constexpr std::array<SV, 14> kGeneralSentences{
    "Sessions are one to one or in small groups.",
    "Appointments are available in person, by phone or online.",
    "We work closely with probation practitioners and the local authority.",
    "Interpreters can be arranged on request.",
    "Drop-in sessions run every week at a community venue.",
    "Staff include people with lived experience of the justice system.",
    "Support usually lasts up to twelve weeks.",
    "We can meet people at home, at the probation office or at a community hub.",
    "Referrals are accepted from probation and partner agencies.",
    "Our building is accessible and has a hearing loop.",
    "Evening appointments are available for people who work.",
    "We are a registered charity and our services are free.",
    "Outreach workers cover rural areas where transport is limited.",
    "We can help with travel costs to attend appointments."};

constexpr std::array<SV, 4> kWelshSentences{
    "Rydym yn cynnig cymorth yn Gymraeg ac yn Saesneg.",
    "Gallwn gwrdd â phobl yn eu cartref neu mewn lleoliad cymunedol.",
    "Mae ein gwasanaeth yn rhad ac am ddim ac yn gyfrinachol.",
    "Rydym yn gweithio'n agos gyda'r gwasanaeth prawf ac asiantaethau lleol."};

std::vector<const Area*> localAuthorities() {
    std::vector<const Area*> out;
    for (const Area& area : allAreas())
        if (area.kind == AreaKind::LocalAuthority) out.push_back(&area);
    return out;
}

const std::vector<const Area*>& las() {
    static const std::vector<const Area*> all = localAuthorities();
    return all;
}

Rng rngFor(uint64_t seed, uint64_t stream, size_t index) {
    Rng rng{seed ^ (stream * 0xD1B54A32D192ED03ull) ^ (static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull)};
    rng.next();
    return rng;
}

} // namespace

Organisation syntheticOrganisation(size_t index, uint64_t seed) {
    Rng rng = rngFor(seed, 1, index);
    const Area* home = las()[index % las().size()];
    Organisation org;
    org.id = uuid::fromName("synthetic:" + std::to_string(seed) + ":org:" + std::to_string(index));
    org.name.reserve(48);
    org.name += rng.pick(kOrgStems);
    org.name += ' ';
    org.name += home->nameEn;
    org.name += ' ';
    org.name += rng.pick(kOrgKinds);
    org.description = "A voluntary and community organisation based in ";
    org.description += home->nameEn;
    org.description += ".";
    org.sample = true;
    return org;
}

// A synthetic service's first draws: its organisation, need and the areas it covers. On their
// own they tell where the service's rowid falls (its area slot) without making the service.
struct Basics {
    size_t orgIndex = 0;
    const Area* home = nullptr;
    const NeedText* need = nullptr;
    std::vector<std::string> areas;
};

Basics syntheticBasics(Rng& rng, size_t organisations) {
    Basics b;
    b.orgIndex = rng.below(organisations);
    b.home = las()[b.orgIndex % las().size()];
    b.need = &kNeedTexts[rng.below(kNeedTexts.size())];
    // Coverage: mostly one local authority; some a PDU, several LAs or a whole region.
    double coverage = rng.unit();
    b.areas.emplace_back(b.home->code);
    if (coverage > 0.97) {
        for (auto ancestor : ancestorsOf(b.home->code))
            if (areaByCode(ancestor)->kind == AreaKind::Region) b.areas = {std::string(ancestor)};
    } else if (coverage > 0.90) {
        if (auto pdu = pduOf(b.home->code); !pdu.empty()) b.areas = {std::string(pdu)};
    } else if (coverage > 0.83) {
        b.areas.emplace_back(las()[rng.below(las().size())]->code);
    }
    return b;
}

Service syntheticService(size_t index, size_t organisations, uint64_t seed) {
    Rng rng = rngFor(seed, 2, index);
    Basics basics = syntheticBasics(rng, organisations);
    const Area* home = basics.home;
    const NeedText& need = *basics.need;

    Service s;
    s.id = uuid::fromName("synthetic:" + std::to_string(seed) + ":svc:" + std::to_string(index));
    s.organisationId = uuid::fromName("synthetic:" + std::to_string(seed) + ":org:" + std::to_string(basics.orgIndex));
    s.source = "synthetic";
    s.sample = true;
    s.areas = std::move(basics.areas);

    s.needs.emplace_back(need.code);
    if (rng.chance(0.35)) {
        const NeedText& second = kNeedTexts[rng.below(kNeedTexts.size())];
        if (second.code != need.code) s.needs.emplace_back(second.code);
    }
    s.womenOnly = need.code == "women" || rng.chance(0.03);
    s.hub = rng.chance(0.08);
    s.coLocated = rng.chance(0.05);
    s.highRiskSuitable = !s.hub && rng.chance(0.4);
    static constexpr std::array kRoutes{CommissioningRoute::DynamicFramework, CommissioningRoute::CoCommissioned,
                                        CommissioningRoute::GrantFunded, CommissioningRoute::Statutory,
                                        CommissioningRoute::Informal};
    s.commissioningRoute = kRoutes[rng.below(kRoutes.size())];
    if (rng.chance(0.2)) {
        static constexpr std::array kTypes{SupervisionType::Custody, SupervisionType::CommunityOrder,
                                           SupervisionType::SuspendedSentenceOrder, SupervisionType::Licence,
                                           SupervisionType::PostSentenceSupervision};
        s.supervisionTypes.push_back(kTypes[rng.below(kTypes.size())]);
        if (rng.chance(0.5)) {
            auto second = kTypes[rng.below(kTypes.size())];
            if (second != s.supervisionTypes[0]) s.supervisionTypes.push_back(second);
        }
    }
    if (rng.chance(0.15)) s.minAge = 18;
    if (rng.chance(0.08)) {
        s.minAge = 18;
        s.maxAge = 24; // young adults
    }

    const bool welsh = home->code.substr(0, 3) == "W06";
    const bool bilingual = welsh && rng.chance(0.4);
    s.languages.emplace_back("en");
    if (bilingual) s.languages.emplace_back("cy");

    SV noun = need.nouns[rng.below(need.nouns.size())];
    s.name.reserve(48);
    if (rng.chance(0.5)) {
        s.name += home->nameEn;
        s.name += ' ';
        s.name += noun;
    } else {
        s.name += rng.pick(kOrgStems);
        s.name += ' ';
        s.name += noun;
    }
    if (bilingual) {
        s.nameCy += need.nounCy;
        s.nameCy += ' ';
        s.nameCy += home->nameCy;
    }

    s.description.reserve(400);
    s.description += "A ";
    s.description += need.code == "women" ? "women-only" : (rng.chance(0.5) ? "free" : "local");
    s.description += " service for people on probation in ";
    s.description += home->nameEn;
    s.description += ". ";
    size_t first = rng.below(need.sentences.size());
    s.description += need.sentences[first];
    s.description += ' ';
    s.description += need.sentences[(first + 1 + rng.below(need.sentences.size() - 1)) % need.sentences.size()];
    for (int i = 0, n = 1 + static_cast<int>(rng.below(3)); i < n; ++i) {
        s.description += ' ';
        s.description += kGeneralSentences[rng.below(kGeneralSentences.size())];
    }
    if (bilingual) {
        s.descriptionCy += kWelshSentences[rng.below(kWelshSentences.size())];
        s.descriptionCy += ' ';
        s.descriptionCy += kWelshSentences[rng.below(kWelshSentences.size())];
    }
    s.keywords = need.keywords;
    if (s.minAge == 18 && s.maxAge == 24) s.keywords += " young adults 18 to 24";

    // One or two locations within ~10 km of the area's centre (a few have none: phone/online).
    if (!rng.chance(0.1)) {
        int locations = rng.chance(0.1) ? 2 : 1;
        for (int i = 0; i < locations; ++i) {
            Location l;
            l.id = uuid::fromName(s.id + "/location/" + std::to_string(i));
            l.latitude = home->latitude + (rng.unit() - 0.5) * 0.18;
            l.longitude = home->longitude + (rng.unit() - 0.5) * 0.28;
            l.name = std::string(home->nameEn) + " office";
            l.city = std::string(home->nameEn);
            s.locations.push_back(std::move(l));
        }
    }

    if (rng.chance(0.7)) {
        Contact c;
        c.id = uuid::fromName(s.id + "/contact/0");
        c.name = "Referrals";
        char phone[32];
        std::snprintf(phone, sizeof phone, "01632 96%04u", static_cast<unsigned>(rng.below(1000)));
        c.phone = phone;
        c.email = "referrals@example.org";
        c.sample = true;
        s.contacts.push_back(std::move(c));
    }

    // Weekday opening, a few with a Saturday or an evening.
    if (rng.chance(0.85)) {
        bool late = rng.chance(0.2);
        for (int day = 1; day <= 5; ++day) s.openingTimes.push_back({day, "09:00", late && day == 3 ? "19:30" : "17:00", ""});
        if (rng.chance(0.15)) s.openingTimes.push_back({6, "10:00", "13:00", ""});
    }

    // Verified at some point in the last two years (deterministic, relative to the seed's date).
    int64_t base = timeutil::parseIsoDate("2026-11-01").value_or(0);
    if (rng.chance(0.9)) s.lastVerified = timeutil::isoDate(base - static_cast<int64_t>(rng.below(730)));
    s.lastModified = "2026-11-01T00:00:00Z";
    return s;
}

SyntheticReport generateSynthetic(db::Database& db, const SyntheticOptions& options) {
    SyntheticReport report;
    const size_t organisations = syntheticOrganisationCount(options.services);
    const size_t total = organisations + options.services;
    // Services are made and prepared (DirectoryStore::prepare: their stored lists and search
    // text) on a second thread while this one writes, in batches so the hand-over costs little.
    // The writer closes the queue if it stops early (a failed write), which ends the producer.
    constexpr size_t kBatch = 256;
    using Batch = std::vector<DirectoryStore::PreparedService>;
    util::BoundedQueue<Batch> queue(4);
    // Written batches go back to the producer to be freed there.
    std::mutex spentMutex;
    std::vector<Batch> spent;
    std::exception_ptr producerFailure;
    std::jthread producer([&] {
        try {
            // Services are written grouped by area slot, each slot's in index order: a new
            // service's rowid is the next in its slot's block (DirectoryStore::upsertPrepared), so
            // every rowid is what index order would give it, but rows are appended to one block
            // at a time instead of inserted among the rows of some 40 blocks at random, which
            // splits and rebalances pages (a fifth off the rows' time: docs/benchmarks.md).
            // Worked out here while the writer writes the organisations.
            std::vector<std::pair<uint32_t, size_t>> order(options.services); // (slot, index)
            for (size_t i = 0; i < options.services; ++i) {
                Rng rng = rngFor(options.seed, 2, i);
                order[i] = {areaSlot(syntheticBasics(rng, organisations).areas), i};
            }
            std::sort(order.begin(), order.end());
            for (size_t begin = 0; begin < options.services; begin += kBatch) {
                {
                    std::vector<Batch> freeing;
                    {
                        std::lock_guard lock(spentMutex);
                        freeing.swap(spent);
                    }
                } // freed here, outside the lock
                Batch batch;
                batch.reserve(kBatch);
                for (size_t i = begin; i < std::min(options.services, begin + kBatch); ++i)
                    batch.push_back(
                        DirectoryStore::prepare(syntheticService(order[i].second, organisations, options.seed)));
                if (!queue.push(std::move(batch))) break;
            }
        } catch (...) {
            producerFailure = std::current_exception();
        }
        queue.close();
    });
    struct CloseOnExit {
        util::BoundedQueue<Batch>& queue;
        ~CloseOnExit() { queue.close(); } // before the producer is joined
    } closeOnExit{queue};

    // Services arrive in rowid order (above): into an empty index, it is built beside the rows.
    DirectoryStore::IndexSpace space(db);
    db::Transaction txn(db, space.available() ? db::Transaction::Mode::Deferred : db::Transaction::Mode::Immediate);
    DirectoryStore store(db);
    DirectoryStore::BulkWrite bulk(store, &space);
    bulk.allOrNothing(); // a failed write fails the seed, and the transaction rolls back whole
    size_t done = 0;
    for (size_t i = 0; i < organisations; ++i) {
        store.upsertOrganisation(syntheticOrganisation(i, options.seed));
        ++report.organisations;
        if (options.progress && (++done % 1024 == 0)) options.progress(done, total);
    }
    done = organisations;
    while (auto batch = queue.pop()) {
        for (auto& prepared : *batch) {
            store.upsertPrepared(std::move(prepared));
            ++report.services;
            if (options.progress && (++done % 1024 == 0 || done == total)) options.progress(done, total);
        }
        std::lock_guard lock(spentMutex);
        spent.push_back(std::move(*batch));
    }
    if (producerFailure) std::rethrow_exception(producerFailure);
    bulk.finish();
    report.indexBuiltBeside = bulk.indexBuiltBeside();
    txn.commit();
    if (options.progress) options.progress(total, total);
    return report;
}

} // namespace signpost::directory
