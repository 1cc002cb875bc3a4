# The configuration `terraform console -plan` evaluates the function cases in (cases.txt),
# and the values the unit test gives the same names. terraform_data's id is unknown until
# apply: every unknown below derives from it.
resource "terraform_data" "x" {
  input = "a"
}

variable "n" {
  default = null
}

locals {
  us = terraform_data.x.id
  ul = terraform_data.x.id == "" ? [] : ["a"]
  um = terraform_data.x.id == "" ? {} : { a = "b" }
  ub = terraform_data.x.id == ""
  un = length(terraform_data.x.id)
  pl = [terraform_data.x.id, "b"]
  pm = { a = terraform_data.x.id, b = "c" }
  uu = [terraform_data.x.id, terraform_data.x.id]
}
