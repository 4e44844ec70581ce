$ terraform import kakaocloud_image_member.example <resource_id>
