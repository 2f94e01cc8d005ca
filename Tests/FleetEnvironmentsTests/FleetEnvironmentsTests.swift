// FleetEnvironments has no behaviour yet (it arrives with a later issue), so there is nothing to test here yet.
// This file keeps the target, and its place in the tree, ready for those tests.
import FleetEnvironments
