// Builds a directory from every official HSDS 3.0 example plus services of our own (every
// extension, Welsh text, an overnight line, an id that is not a UUID, synthetic services) and
// writes its HSDS export, for validate_export.py to check against the official schema.
//
//   hsds_export_fixture OUT.json EXAMPLES_DIR
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Hsds.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Uuid.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace signpost;
using namespace signpost::domain;
namespace fs = std::filesystem;

namespace {

void addOwnServices(db::Database& db) {
    directory::DirectoryStore store(db);
    Organisation org;
    org.id = uuid::fromName("fixture org");
    org.name = "Cardiff Women's Aid";
    org.nameCy = "Cymorth i Fenywod Caerdydd";
    org.description = "A charity supporting women in Cardiff.";
    org.website = "https://example.org";
    org.email = "office@example.org";
    org.phone = "029 2000 1111";
    org.isaStatus = IsaStatus::InForce; // must not appear in the export
    org.isaFrom = "2025-04-01";
    store.upsertOrganisation(org);

    Service s;
    s.id = uuid::fromName("fixture rich service");
    s.organisationId = org.id;
    s.name = "Cardiff Women's Centre";
    s.nameCy = "Canolfan Menywod Caerdydd";
    s.description = "Support for women on probation in Cardiff and the Vale.";
    s.descriptionCy = "Cymorth i fenywod ar brawf yng Nghaerdydd a'r Fro.";
    s.url = "https://example.org/womens-centre";
    s.email = "hello@example.org";
    s.commissioningRoute = CommissioningRoute::CoCommissioned;
    s.areas = {"W06000015", "PDU-CARDIFFVALE", "W92000004"};
    s.needs = {"women", "wellbeing.emotional", "accommodation"};
    s.supervisionTypes = {SupervisionType::Licence, SupervisionType::CommunityOrder};
    s.minAge = 18;
    s.maxAge = 65;
    s.womenOnly = s.highRiskSuitable = s.hub = s.coLocated = true;
    s.languages = {"en", "cy"};
    s.eligibility = "Women aged 18 and over.";
    s.keywords = "women centre";
    Location l;
    l.id = uuid::fromName("fixture location");
    l.name = "The Women's Centre";
    l.address = "1 Queen Street, Cathays";
    l.city = "Cardiff";
    l.postcode = "CF10 1AA";
    l.latitude = 51.4816;
    l.longitude = -3.1791;
    s.locations.push_back(l);
    s.contacts.push_back({uuid::fromName("fixture contact"), "Referrals", "Referrals team", "029 2000 0000",
                          "referrals@example.org", false});
    s.contacts.push_back({uuid::fromName("fixture line"), "", "", "0800 000 0000", "", false});
    s.openingTimes = {
        {1, "09:00", "17:00", ""}, {5, "22:00", "24:00", "Night line"}, {6, "00:00", "02:00", "Night line"}};
    s.lastVerified = "2026-10-01";
    s.lastModified = "2026-10-02"; // a bare date: exported as a date-time
    store.upsertService(s);

    // An id that is not a UUID, a contact whose id is not one either, no organisation, inactive.
    Service plain;
    plain.id = "seed-bolton-7";
    plain.name = "Bolton Money Advice";
    plain.status = "inactive";
    plain.needs = {"finance"};
    plain.areas = {"E08000001"};
    plain.sample = true;
    plain.email = "not an email address";
    plain.contacts.push_back({"c1", "Advice line", "", "01632 960000", "", true});
    plain.locations.push_back({"loc-1", "Bolton office", "", "Bolton", "BL1 1AA", std::nullopt, std::nullopt});
    store.upsertService(plain);

    directory::generateSynthetic(db, {50, 7, {}});
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: hsds_export_fixture OUT.json EXAMPLES_DIR\n";
        return 2;
    }
    const fs::path out = argv[1];
    const fs::path examples = argv[2];
    try {
        auto db = db::Database::memory();
        db::migrate(db, schema::localMigrations());
        std::vector<fs::path> sources;
        for (const auto& entry : fs::directory_iterator(examples))
            if (entry.is_regular_file() && entry.path().extension() == ".json") sources.push_back(entry.path());
        std::sort(sources.begin(), sources.end());
        sources.push_back(examples / "csv");
        size_t fileErrors = 0;
        for (const auto& source : sources) {
            auto report = directory::hsds::importPath(db, source);
            for (const auto& p : report.fileErrors)
                std::cerr << p.file << ": " << p.reason << "\n";
            fileErrors += report.fileErrors.size();
        }
        addOwnServices(db);
        std::ofstream file(out, std::ios::binary);
        size_t count = directory::hsds::exportServices(db, file);
        file.close();
        std::cout << "hsds_export_fixture: exported " << count << " services to " << out.string() << "\n";
        return fileErrors ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "hsds_export_fixture: " << e.what() << "\n";
        return 1;
    }
}
