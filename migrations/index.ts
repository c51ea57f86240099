/** Every migration, in order. Listed explicitly so the same list runs from src (tsx) and dist (node). */
import { Migration20261128000000_initial } from "./Migration20261128000000_initial.js";
import { Migration20261130180000_model_lineage } from "./Migration20261130180000_model_lineage.js";
import { Migration20261130183000_instance_lineage } from "./Migration20261130183000_instance_lineage.js";
import { Migration20261130190000_one_pending_recommendation } from "./Migration20261130190000_one_pending_recommendation.js";
import { Migration20261130220000_decision_changes } from "./Migration20261130220000_decision_changes.js";
import { Migration20261201000000_fleet_scan } from "./Migration20261201000000_fleet_scan.js";

export const migrationsList = [
  { name: "Migration20261128000000_initial", class: Migration20261128000000_initial },
  { name: "Migration20261130180000_model_lineage", class: Migration20261130180000_model_lineage },
  { name: "Migration20261130183000_instance_lineage", class: Migration20261130183000_instance_lineage },
  {
    name: "Migration20261130190000_one_pending_recommendation",
    class: Migration20261130190000_one_pending_recommendation,
  },
  { name: "Migration20261130220000_decision_changes", class: Migration20261130220000_decision_changes },
  { name: "Migration20261201000000_fleet_scan", class: Migration20261201000000_fleet_scan },
];
