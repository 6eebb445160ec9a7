#include "DirectorySeed.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/DirectoryCodec.hpp"
#include "signpost/util/Assets.hpp"
#include "signpost/util/Time.hpp"

#include <ctime>

namespace signpost::server {

namespace {

void put(ServerStore& store, const std::string& collection, const std::string& id, const nlohmann::json& fields) {
    StoredRecord s;
    if (auto existing = store.record(collection, id)) s = std::move(*existing);
    s.record.collection = collection;
    s.record.id = id;
    s.record.deleted = false;
    s.record.fields = fields;
    s.record.seq = store.nextSeq();
    s.record.versions.clear();
    s.writers.clear();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        s.record.versions[it.key()] = s.record.seq;
        s.writers[it.key()] = "system/server";
    }
    store.saveRecord(s);
}

} // namespace

nlohmann::json sampleIsa(nlohmann::json fields) {
    const std::time_t now = std::time(nullptr);
    fields["isa_status"] = "in_force";
    fields["isa_from"] = timeutil::isoDateUtc(now);
    fields["isa_to"] = timeutil::isoDateUtc(now + 365 * 86400);
    fields["isa_fields"] = {"crn", "given_name", "family_name", "date_of_birth", "gender", "accessibility_needs",
                            "desired_outcomes", "reason", "risk_summary"};
    return fields;
}

size_t seedDirectory(ServerStore& store, bool withSampleIsa) {
    // The seed loader writes a local directory; read it back as records.
    db::Database local = db::Database::memory();
    db::migrate(local, schema::localMigrations());
    directory::loadSeed(local, assets::dir());
    directory::DirectoryStore dir(local);
    store.begin();
    size_t n = 0;
    try {
        for (const auto& id : dir.organisationIds()) {
            auto fields = sync::organisationFields(*dir.organisation(id));
            put(store, "organisation", id, withSampleIsa ? sampleIsa(std::move(fields)) : fields);
            ++n;
        }
        for (const auto& id : dir.serviceIds()) {
            put(store, "service", id, sync::serviceFields(*dir.service(id)));
            ++n;
        }
        store.commit();
    } catch (...) {
        store.rollback();
        throw;
    }
    return n;
}

size_t seedSyntheticDirectory(ServerStore& store, size_t services, uint64_t seed) {
    const size_t organisations = directory::syntheticOrganisationCount(services);
    store.begin();
    try {
        for (size_t i = 0; i < organisations; ++i) {
            auto org = directory::syntheticOrganisation(i, seed);
            put(store, "organisation", org.id, sync::organisationFields(org));
        }
        for (size_t i = 0; i < services; ++i) {
            auto s = directory::syntheticService(i, organisations, seed);
            put(store, "service", s.id, sync::serviceFields(s));
        }
        store.commit();
    } catch (...) {
        store.rollback();
        throw;
    }
    return organisations + services;
}

} // namespace signpost::server
