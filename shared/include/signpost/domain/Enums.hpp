#pragma once
// Enumerations from DOMAIN.md, each with a stable wire/database code. Codes never change once
// shipped (they are stored and synced); labels for people live in assets/lang/*.json.
#include <array>
#include <optional>
#include <string_view>

namespace signpost::domain {

enum class SupervisionType {
    Custody,                 // in custody before release ("through the gate")
    CommunityOrder,
    SuspendedSentenceOrder,
    Licence,
    PostSentenceSupervision,
};

enum class CommissioningRoute {
    DynamicFramework,  // national Commissioned Rehabilitative Services framework
    CoCommissioned,    // under a local MoU, e.g. GM Integrated Rehabilitative Services
    GrantFunded,
    Statutory,
    Informal,          // non-commissioned local provision, often the only option in rural areas
};

enum class IsaStatus { None, InForce, Expired };

enum class Complexity { Low, Medium, High };

enum class AreaKind { Country, Region, Pdu, LocalAuthority };

template <typename E> struct EnumCode {
    E value;
    std::string_view code;
};

inline constexpr std::array kSupervisionTypes{
    EnumCode<SupervisionType>{SupervisionType::Custody, "custody"},
    EnumCode<SupervisionType>{SupervisionType::CommunityOrder, "community_order"},
    EnumCode<SupervisionType>{SupervisionType::SuspendedSentenceOrder, "suspended_sentence_order"},
    EnumCode<SupervisionType>{SupervisionType::Licence, "licence"},
    EnumCode<SupervisionType>{SupervisionType::PostSentenceSupervision, "post_sentence_supervision"},
};

inline constexpr std::array kCommissioningRoutes{
    EnumCode<CommissioningRoute>{CommissioningRoute::DynamicFramework, "dynamic_framework"},
    EnumCode<CommissioningRoute>{CommissioningRoute::CoCommissioned, "co_commissioned"},
    EnumCode<CommissioningRoute>{CommissioningRoute::GrantFunded, "grant_funded"},
    EnumCode<CommissioningRoute>{CommissioningRoute::Statutory, "statutory"},
    EnumCode<CommissioningRoute>{CommissioningRoute::Informal, "informal"},
};

inline constexpr std::array kIsaStatuses{
    EnumCode<IsaStatus>{IsaStatus::None, "none"},
    EnumCode<IsaStatus>{IsaStatus::InForce, "in_force"},
    EnumCode<IsaStatus>{IsaStatus::Expired, "expired"},
};

inline constexpr std::array kComplexities{
    EnumCode<Complexity>{Complexity::Low, "low"},
    EnumCode<Complexity>{Complexity::Medium, "medium"},
    EnumCode<Complexity>{Complexity::High, "high"},
};

inline constexpr std::array kAreaKinds{
    EnumCode<AreaKind>{AreaKind::Country, "country"},
    EnumCode<AreaKind>{AreaKind::Region, "region"},
    EnumCode<AreaKind>{AreaKind::Pdu, "pdu"},
    EnumCode<AreaKind>{AreaKind::LocalAuthority, "local_authority"},
};

template <typename E, size_t N> constexpr std::string_view codeOf(const std::array<EnumCode<E>, N>& table, E value) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.code;
    return {};
}

template <typename E, size_t N>
constexpr std::optional<E> parseCode(const std::array<EnumCode<E>, N>& table, std::string_view code) {
    for (const auto& entry : table)
        if (entry.code == code) return entry.value;
    return std::nullopt;
}

inline std::string_view toCode(SupervisionType v) { return codeOf(kSupervisionTypes, v); }
inline std::string_view toCode(CommissioningRoute v) { return codeOf(kCommissioningRoutes, v); }
inline std::string_view toCode(IsaStatus v) { return codeOf(kIsaStatuses, v); }
inline std::string_view toCode(Complexity v) { return codeOf(kComplexities, v); }
inline std::string_view toCode(AreaKind v) { return codeOf(kAreaKinds, v); }

inline std::optional<SupervisionType> parseSupervisionType(std::string_view s) { return parseCode(kSupervisionTypes, s); }
inline std::optional<CommissioningRoute> parseCommissioningRoute(std::string_view s) { return parseCode(kCommissioningRoutes, s); }
inline std::optional<IsaStatus> parseIsaStatus(std::string_view s) { return parseCode(kIsaStatuses, s); }
inline std::optional<Complexity> parseComplexity(std::string_view s) { return parseCode(kComplexities, s); }
inline std::optional<AreaKind> parseAreaKind(std::string_view s) { return parseCode(kAreaKinds, s); }

} // namespace signpost::domain
