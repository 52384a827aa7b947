//! The order a restore creates objects in: the procedure's (secrets, service accounts, PVCs,
//! role bindings), then what the rest depend on before what depends on it: config maps and
//! image streams before the workloads that mount or pull them, services before routes.

/// Lower first. Kinds not named here (custom resources) come last, alphabetically.
pub fn restore_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" | "Project" => 0,
        "LimitRange" | "ResourceQuota" => 1,
        "Secret" => 2,
        "ServiceAccount" => 3,
        "PersistentVolumeClaim" => 4,
        "Role" => 5,
        "RoleBinding" => 6,
        "ConfigMap" => 7,
        "ImageStream" => 8,
        "BuildConfig" => 9,
        "Service" => 10,
        "Deployment" | "DeploymentConfig" | "StatefulSet" | "DaemonSet" | "CronJob" | "Job" => 11,
        "ReplicaSet" | "ReplicationController" => 12,
        "Pod" => 13,
        "Route" | "Ingress" | "NetworkPolicy" => 14,
        "HorizontalPodAutoscaler" | "PodDisruptionBudget" => 15,
        _ => 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_procedure_s_order_then_dependencies() {
        let mut kinds = vec![
            "Route",
            "Widget",
            "Deployment",
            "Service",
            "RoleBinding",
            "ConfigMap",
            "PersistentVolumeClaim",
            "ServiceAccount",
            "Secret",
            "Pod",
            "Role",
        ];
        kinds.sort_by_key(|k| restore_rank(k));
        assert_eq!(
            kinds,
            [
                "Secret",
                "ServiceAccount",
                "PersistentVolumeClaim",
                "Role",
                "RoleBinding",
                "ConfigMap",
                "Service",
                "Deployment",
                "Pod",
                "Route",
                "Widget"
            ]
        );
    }
}
