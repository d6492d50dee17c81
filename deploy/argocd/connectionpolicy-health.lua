-- Argo CD health check for beebotte.io/ConnectionPolicy.
-- Install as resource.customizations.health.beebotte.io_ConnectionPolicy (argocd-cm-patch.yaml).
-- Written for Lua 5.1 (gopher-lua, as embedded in Argo CD).
--
--   Progressing  no status yet, the current generation not observed yet, Ready=Unknown,
--                Ready=False/BeebotteUnavailable (retried every interval),
--                Enforced=False/DropBudgetExceeded (the rest are dropped at the next syncs)
--   Degraded     Ready=False for AuthenticationFailed, CredentialsNotFound,
--                InvalidCredentials, InvalidSpec
--                (or any other reason), Enforced=False/DropFailed
--   Healthy      Ready=True on the current generation, including Enforced=False for
--                DryRun or Suspended, which is what the user asked for
local hs = {}

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function describe(condition, fallback)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  if condition.reason ~= nil and condition.reason ~= "" then
    return condition.reason
  end
  return fallback
end

local function stale(generation, observed)
  return generation ~= nil and (observed == nil or observed < generation)
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to sync the policy"
  return hs
end

local generation = obj.metadata.generation
if stale(generation, obj.status.observedGeneration) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local ready = findCondition(obj.status.conditions, "Ready")
if ready == nil or (ready.status ~= "True" and ready.status ~= "False") then
  hs.status = "Progressing"
  hs.message = "Waiting for the first sync"
  return hs
end
if ready.observedGeneration ~= nil and stale(generation, ready.observedGeneration) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to sync generation " .. tostring(generation)
  return hs
end

if ready.status == "False" then
  if ready.reason == "BeebotteUnavailable" then
    hs.status = "Progressing"
  else
    hs.status = "Degraded"
  end
  hs.message = describe(ready, "Not ready")
  return hs
end

local enforced = findCondition(obj.status.conditions, "Enforced")
if enforced ~= nil and enforced.status == "False" then
  if enforced.reason == "DropFailed" then
    hs.status = "Degraded"
    hs.message = describe(enforced, "Dropping denied connections failed")
    return hs
  end
  if enforced.reason == "DropBudgetExceeded" then
    hs.status = "Progressing"
    hs.message = describe(enforced, "More denied connections than maxDropsPerSync")
    return hs
  end
end

hs.status = "Healthy"
if enforced ~= nil and enforced.status == "False" then
  hs.message = describe(enforced, describe(ready, "Synced"))
else
  hs.message = describe(ready, "Synced")
end
return hs
