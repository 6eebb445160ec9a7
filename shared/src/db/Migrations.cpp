#include "signpost/db/Migrations.hpp"
#include "signpost/db/Transaction.hpp"

namespace signpost::db {

MigrationResult migrate(Database& db, std::span<const Migration> steps, int target) {
    const int latest = steps.empty() ? 0 : steps.back().version;
    if (target < 0) target = latest;
    for (size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].version != static_cast<int>(i) + 1)
            throw Error(ErrorDomain::Internal, "migration list is not contiguous at step " + std::to_string(i + 1));
    }
    if (target > latest)
        throw Error(ErrorDomain::Internal, "no migration to schema version " + std::to_string(target));

    MigrationResult result;
    result.from = db.userVersion();
    if (result.from > latest) {
        throw Error(ErrorDomain::Validation,
                    db.path() + " was written by a newer Signpost (schema version " + std::to_string(result.from) +
                        "; this build knows up to " + std::to_string(latest) + "). Update Signpost to open it.");
    }
    for (const Migration& step : steps) {
        if (step.version <= result.from || step.version > target) continue;
        Transaction txn(db, Transaction::Mode::Exclusive);
        try {
            step.up(db);
        } catch (const Error& e) {
            throw Error(e.domain(), e.code(),
                        "schema migration " + std::to_string(step.version) + " (" + std::string(step.description) +
                            ") failed: " + e.what());
        }
        db.setUserVersion(step.version);
        txn.commit();
    }
    result.to = db.userVersion();
    return result;
}

} // namespace signpost::db
